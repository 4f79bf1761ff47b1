// `otlp-streams config`: what the loader resolved, with secrets masked.
import { maskSecrets, type Config } from '../config/index.ts';
import { loadConfig } from './loadConfig.ts';

/** The configuration as `otlp-streams config` prints it: JSON, credentials masked (also inside URLs). */
export function configText(config: Config): string {
  return JSON.stringify(maskSecrets(config), null, 2);
}

/** Prints the resolved configuration of `file` (and the environment, and the local stack). */
export function showConfig(file?: string): void {
  console.log(configText(loadConfig({ file })));
}
