// Loading topology files: YAML (with positions) → schema (with defaults and rules) → DSL → Topology.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { Topology } from '../runtime/index.ts';
import { CompileError, compileTopology } from './compile.ts';
import { formatProblem, problemAt, schemaProblems, syntaxProblems, type Problem } from './problems.ts';
import { registry as defaultRegistry, type Registry } from './registry.ts';
import { topologyFileSchema, type TopologyFile } from './schema.ts';

/** A loaded topology file, or everything wrong with it. */
export type LoadResult = { ok: true; spec: TopologyFile; topology: Topology } | { ok: false; problems: Problem[] };

/** Thrown by `readTopology`; the message lists every problem, one per line. */
export class TopologyFileError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

const schemas = new WeakMap<Registry, ReturnType<typeof topologyFileSchema>>();

function schemaFor(registry: Registry): ReturnType<typeof topologyFileSchema> {
  let schema = schemas.get(registry);
  if (!schema) schemas.set(registry, (schema = topologyFileSchema(registry)));
  return schema;
}

/** Validates and compiles the text of a topology file; `file` names it in problems. */
export function parseTopology(text: string, file: string, registry: Registry = defaultRegistry): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) return { ok: false, problems: syntaxProblems(file, doc) };
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problems: [{ file, line: 1, col: 1, path: '', message: 'expected a mapping with application, source and steps' }] };
  }
  const parsed = schemaFor(registry).safeParse(data);
  if (!parsed.success) return { ok: false, problems: schemaProblems(file, doc, lines, data, parsed.error.issues) };
  try {
    return { ok: true, spec: parsed.data, topology: compileTopology(parsed.data, registry) };
  } catch (err) {
    const path = err instanceof CompileError ? err.path : [];
    return { ok: false, problems: [problemAt(file, doc, lines, path, (err as Error).message)] };
  }
}

/** Reads, validates and compiles a topology file. */
export function loadTopologyFile(path: string, registry: Registry = defaultRegistry): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { ok: false, problems: [{ file: path, line: 1, col: 1, path: '', message: `cannot read topology file: ${reason}` }] };
  }
  return parseTopology(text, path, registry);
}

/** The Topology of a file, or a TopologyFileError listing its problems. */
export function readTopology(path: string, registry: Registry = defaultRegistry): Topology {
  const result = loadTopologyFile(path, registry);
  if (!result.ok) throw new TopologyFileError(result.problems);
  return result.topology;
}
