// Topology files: the YAML format over the DSL — schema, loader, problems with positions, and the component registry.
export { compileTopology } from './compile.ts';
export type { AggregateFunction, ItemFields, SinkComponent, SourceComponent, Stage, StepComponent } from './component.ts';
export { formatDuration, parseDuration } from './duration.ts';
export { loadTopologyFile, parseTopology, readTopology, TopologyFileError, type LoadResult } from './load.ts';
export { formatProblem, type Problem } from './problems.ts';
export { registry, type Registry } from './registry.ts';
export { topologyFileSchema, type TopologyFile } from './schema.ts';
