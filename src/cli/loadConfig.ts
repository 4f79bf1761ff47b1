// The CLI's configuration (the config module stays a leaf: it does not know the local stack). Where it comes from, lowest precedence first: the local stack's settings file, a config file, the environment.
import { existsSync } from 'node:fs';
import { envLayer, fileLayer, resolveConfig, stackLayer, type Config, type ConfigLayer } from '../config/index.ts';
import { readState } from '../stack/index.ts';

export interface LoadOptions {
  /** A YAML/JSON config file; defaults to OTLP_STREAMS_CONFIG, then ./otlp-streams.yaml if present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Folder of the local stack whose settings fill in what is not configured. */
  stackDir?: string;
}

/** Loads and validates the configuration; throws a ConfigError that names the key and its source. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const layers: ConfigLayer[] = [];
  const state = readState(opts.stackDir);
  if (state) layers.push(stackLayer(state));
  const file = opts.file ?? env.OTLP_STREAMS_CONFIG ?? (existsSync('otlp-streams.yaml') ? 'otlp-streams.yaml' : undefined);
  if (file) layers.push(fileLayer(file));
  layers.push(envLayer(env));
  return resolveConfig(layers);
}
