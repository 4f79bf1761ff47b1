// `otlp-streams run <file>` as a child process against the real stack, for end-to-end tests: resolves once the
// worker logs that it is running; `stop()` sends SIGTERM and resolves with the exit code.
import { stackSettings } from './stack.ts';
import { startWorker, type WorkerProcess } from './workers.ts';

export interface TopologyProcess extends WorkerProcess {
  stop: () => Promise<number | null>;
}

export async function startTopologyProcess(name: string, file: string): Promise<TopologyProcess> {
  const worker = startWorker(name, stackSettings(), file);
  await worker.waitFor('"msg":"running"');
  return {
    ...worker,
    stop: async () => {
      if (worker.child.exitCode === null && !worker.child.killed) worker.child.kill('SIGTERM'); // once: see gateway-process.ts
      return worker.exited;
    },
  };
}
