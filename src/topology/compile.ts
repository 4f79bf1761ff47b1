// A validated topology file becomes the same DSL calls a TypeScript topology makes, and so the same Topology.
import { topology, type Topology } from '../runtime/index.ts';
import type { Stage } from './component.ts';
import { registry as defaultRegistry, type Registry } from './registry.ts';
import { stepEntry, type TopologyFile } from './schema.ts';

/** An error while building the topology, at a YAML path (`steps[2]`). */
export class CompileError extends Error {
  readonly path: PropertyKey[];
  constructor(path: PropertyKey[], message: string) {
    super(message);
    this.path = path;
  }
}

/** Compiles a validated topology file into a runnable Topology. */
export function compileTopology(file: TopologyFile, registry: Registry = defaultRegistry): Topology {
  const { type, ...sourceOptions } = file.source as { type: string };
  let sourceType = type;
  let source = registry.sources[type];
  let stage: Stage = { kind: 'items', stream: topology(file.application).stream(source.create(sourceOptions)) };
  for (const [i, raw] of file.steps.entries()) {
    const [name, options] = stepEntry(raw);
    const step = registry.steps[name];
    try {
      stage = step.apply(stage, options, { application: file.application, source, sourceType, input: stage.kind });
    } catch (err) {
      throw new CompileError(['steps', i, name], (err as Error).message);
    }
    if (step.itemsOf !== undefined) {
      sourceType = step.itemsOf;
      source = registry.sources[sourceType];
    }
  }
  if (stage.kind === 'windowed') throw new CompileError(['steps'], 'a window needs an aggregate step right after it');
  return stage.stream.build();
}
