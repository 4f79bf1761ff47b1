// The stream of a log row, as LogQL selects and groups it. Loki indexes a few labels per stream; we derive them from
// the record:
//   - every resource attribute, its key made a Prometheus label name: each character outside [a-zA-Z0-9_] becomes
//     '_' (`service.name` → `service_name`, `k8s.pod.name` → `k8s_pod_name`) and a leading digit gets a '_' prefix;
//     an empty value is no label (Prometheus: an empty label is an absent one); when two keys map to one name the
//     first in record order wins;
//   - `level`: the severity level of the row (trace, debug, info, warn, error, fatal, unknown), which replaces a
//     resource attribute named `level`.
// Record attributes are no stream labels (Loki keeps such per-line data as structured metadata, not in the stream).
import { severityLevel, type LogRow } from '../../logs/model.ts';

export type StreamLabels = Record<string, string>;

const sanitized = new Map<string, string>();

/** A resource attribute key as a Prometheus label name. */
export function labelName(key: string): string {
  let name = sanitized.get(key);
  if (name === undefined) {
    name = key.replace(/[^a-zA-Z0-9_]/g, '_');
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (sanitized.size < 10_000) sanitized.set(key, name); // keys are few; the bound keeps hostile input from growing it
  }
  return name;
}

/** The stream labels of a row (see the file comment). */
export function streamLabels(row: Pick<LogRow, 'resource' | 'severityNumber'>): StreamLabels {
  const labels: StreamLabels = {};
  for (const [key, value] of row.resource) {
    if (key === '' || value === '') continue;
    const name = labelName(key);
    if (!(name in labels)) labels[name] = value;
  }
  labels.level = severityLevel(row.severityNumber);
  return labels;
}

/** Loki's text of a label set: `{a="x", b="y"}`, names sorted, values quoted. Also a stable key of the stream. */
export function formatLabels(labels: StreamLabels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/** A stable string identifying a label set (equal label sets, equal keys). */
export function streamKey(labels: StreamLabels): string {
  return formatLabels(labels);
}
