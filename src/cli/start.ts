// `otlp-streams start` (what `npm start` runs): the stack, kept until Ctrl-C or SIGTERM.
import { down, up } from './stack.ts';

export async function start(opts: { kafkaVersion: string; mode: 'auto' | 'native' | 'docker' }): Promise<void> {
  const result = await up(opts);
  console.log(result.reused ? '[start] running on the stack that was already up; Ctrl-C leaves it running' : '[start] running; Ctrl-C stops the stack');
  await new Promise<void>((resolve) => {
    // Signal handlers alone do not keep Node's event loop alive.
    const keepAlive = setInterval(() => {}, 60_000);
    const stop = (signal: string) => {
      clearInterval(keepAlive);
      console.log(`[start] ${signal}: shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Only what this command started is stopped.
  if (!result.reused) await down();
  console.log('[start] stopped cleanly');
}
