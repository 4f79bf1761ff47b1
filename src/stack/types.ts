// Shapes shared by the stack's components.
import type { StackEndpoints } from '../config/index.ts';
import type { ManagedProcess } from './processes.ts';

/** What a component needs to start: its folders, a port picker and a logger. */
export interface ComponentContext {
  /** This stack's folder (data, logs). */
  dir: string;
  /** Download cache shared by all stacks. */
  cache: string;
  /** A fixed port from OTLP_STREAMS_<NAME>_PORT, or a free one. */
  port: (name: string) => Promise<number>;
  log: (line: string) => void;
  /** Called as soon as a process exists, before it is ready, so a failed start can still stop it. */
  spawned: (proc: ManagedProcess) => void;
}

export type StackMode = 'native' | 'docker' | 'external';

/** The settings file written by `stack up`: endpoints for clients, processes or containers for `stack down`. */
export interface StackState extends StackEndpoints {
  mode: StackMode;
  startedAt: string;
  kafkaVersion?: string;
  processes: ManagedProcess[];
  containers: string[];
}
