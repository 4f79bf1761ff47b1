// The `stack` command group and the output it prints.
import { settingsFile, stackDown, stackEnv, stackStatus, stackUp, type UpOptions, type UpResult } from '../stack/index.ts';

const say = (line: string) => console.log(`[stack] ${line}`);

/** Prints the connection settings a user (or a test) needs. */
export function printSettings(result: UpResult, dir?: string): void {
  const { state } = result;
  const how = result.reused ? 'reused' : result.cold ? 'cold start' : 'warm start';
  say(`ready in ${result.seconds} s (${how}, ${state.mode}${state.kafkaVersion ? `, Kafka ${state.kafkaVersion}` : ''})`);
  for (const [name, value] of Object.entries(stackEnv(state))) console.log(`  ${name}=${value}`);
  say(`settings written to ${settingsFile(dir)}`);
}

export async function up(opts: UpOptions): Promise<UpResult> {
  const result = await stackUp({ ...opts, log: say });
  printSettings(result, opts.dir);
  return result;
}

export async function down(dir?: string): Promise<void> {
  const stopped = await stackDown({ dir });
  if (!stopped) say('no stack is running here');
  else say(`stopped ${stopped.mode} stack: ${[...stopped.processes.map((p) => `${p.name} (pid ${p.pid})`), ...stopped.containers].join(', ') || 'nothing to stop'}`);
}

/** Prints each component's health; returns false if any is unhealthy or there is no stack. */
export async function status(dir?: string): Promise<boolean> {
  const { state, components } = await stackStatus({ dir });
  if (!state) {
    say('no stack is running here (start one with `otlp-streams stack up`)');
    return false;
  }
  say(`${state.mode} stack started ${state.startedAt}`);
  for (const c of components) console.log(`  ${c.healthy ? 'up  ' : 'DOWN'}  ${c.name.padEnd(17)} ${c.endpoint}${c.pid ? `  (pid ${c.pid})` : ''}`);
  return components.every((c) => c.healthy);
}
