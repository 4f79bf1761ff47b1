// Problems in topology files, each at a file, line and column and a YAML path:
//   topologies/x.yaml:12:5 steps[2].window.size: expected a duration like "1m", got "fast"
import { isMap, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';

/** One thing wrong with a topology file. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  /** YAML path like `steps[2].window.size`; empty for syntax errors and the top level. */
  path: string;
  message: string;
}

/** `file:line:col path: message`. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** `steps[2].window.size` from `['steps', 2, 'window', 'size']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return JSON.stringify(value);
}

// YAML words for the JSON types zod names.
const TYPE_NAMES: Readonly<Record<string, string>> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'an integer' };

/** One line of text for a zod issue, naming what the file holds there. */
function issueMessage(issue: z.core.$ZodIssue, got: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (got === undefined) return `required: expected ${expected}`;
      // zod's own wording is replaced; a message set in the schema is kept.
      return issue.message.startsWith('Invalid input') ? `expected ${expected}, got ${shown(got)}` : `${issue.message}, got ${shown(got)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${shown(got)}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as unknown as { options: unknown[] }).options.map(String).join(', ');
        return got === undefined ? `required: expected one of ${options}` : `expected one of ${options}, got ${shown(got)}`;
      }
      return `${issue.message}, got ${shown(got)}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
      return `${issue.message}, got ${shown(got)}`;
    default:
      return issue.message;
  }
}

/** Where a path points in the document: its node, or the nearest enclosing node that exists. */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    // A missing key points at the mapping that should hold it.
    if (node?.range) return node.range[0];
  }
  return 0;
}

/** Offset of the key `key` in the mapping at `path` (for unknown keys). */
function keyOffset(doc: Document, path: readonly PropertyKey[], key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Problems for the issues zod found in the document's data. */
export function schemaProblems(file: string, doc: Document, lines: LineCounter, data: unknown, issues: readonly z.core.$ZodIssue[]): Problem[] {
  const at = (offset: number) => lines.linePos(offset);
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const pos = at(keyOffset(doc, issue.path, key) ?? offsetOf(doc, issue.path));
        problems.push({ file, ...pos, path: formatPath([...issue.path, key]), message: 'unknown key' });
      }
      continue;
    }
    const pos = at(offsetOf(doc, issue.path));
    problems.push({ file, ...pos, path: formatPath(issue.path), message: issueMessage(issue, valueAt(data, issue.path)) });
  }
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Problems for YAML syntax errors (they carry their own positions). */
export function syntaxProblems(file: string, doc: Document): Problem[] {
  return doc.errors.map((err) => ({
    file,
    line: err.linePos?.[0].line ?? 1,
    col: err.linePos?.[0].col ?? 1,
    path: '',
    // yaml appends " at line L, column C:" and a code excerpt; the position is already in front.
    message: err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
  }));
}

/** The problem for an error at a path, e.g. one thrown while compiling. */
export function problemAt(file: string, doc: Document, lines: LineCounter, path: readonly PropertyKey[], message: string): Problem {
  return { file, ...lines.linePos(offsetOf(doc, path)), path: formatPath(path), message };
}
