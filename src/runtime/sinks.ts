// External sinks live in src/sinks/; the runtime (task, topology) names their contract from here.
export type { ExternalSink } from '../sinks/util/index.ts';
