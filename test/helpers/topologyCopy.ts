// Copies of the topology files in topologies/ with a test's own application id and topics: the real steps and
// settings, nothing shared with other tests or with a running deployment.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseTopology } from '../../src/topology/index.ts';

type Step = Record<string, Record<string, unknown>>;

export interface TopologyEdits {
  application: string;
  /** The source's topic. */
  source: string;
  /** The topic of every `to` step. */
  output?: string;
  /** The catalog topic of a `series` step. */
  series?: string;
  /** Leave `sink` steps out (they write to shared databases). Default true. */
  dropSinks?: boolean;
}

/** The file's YAML with the edits applied. */
export function topologyCopyYaml(file: string, edits: TopologyEdits): string {
  const doc = parse(readFileSync(file, 'utf8')) as { application: string; source: { topic?: string }; steps: Step[] };
  doc.application = edits.application;
  doc.source.topic = edits.source;
  if (edits.dropSinks !== false) doc.steps = doc.steps.filter((s) => !('sink' in s));
  for (const step of doc.steps) {
    if (step.to && edits.output !== undefined) step.to.topic = edits.output;
    if (step.series && edits.series !== undefined) step.series.topic = edits.series;
  }
  return stringify(doc);
}

/** The file's topology with the edits applied, compiled for an in-process `Worker`. */
export function topologyCopy(file: string, edits: TopologyEdits) {
  const loaded = parseTopology(topologyCopyYaml(file, edits), file);
  if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.problems)}`);
  return loaded.topology;
}
