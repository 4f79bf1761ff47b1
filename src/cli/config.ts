// `otlp-streams config`: what the loader resolved, with secrets masked.
import { loadConfig } from './loadConfig.ts';

export function showConfig(file?: string): void {
  const config = loadConfig({ file });
  const masked = JSON.stringify(config, (key, value) => (/password|token/i.test(key) && value ? '***' : value), 2);
  console.log(masked);
}
