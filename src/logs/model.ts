// A log record as the log index, search, LogQL and the pattern miner see it: the OTLP record flattened to text.
// Built once from the OTLP model (logRow) when a record is indexed; blocks store exactly these fields (docs/logs.md).
import { attributeText, type LogRecord } from '../otlp/index.ts';

/** One log record, flattened. */
export interface LogRow {
  /** Event time: the record's time, its observed time when unset; ms since the epoch and the ns within that ms. */
  timeMs: number;
  timeNanos: number;
  /** OTLP severity number (1–24); derived from the severity text when the record has none; 0 when neither says. */
  severityNumber: number;
  severityText: string;
  /** The line: a string body as it is, any other body as JSON, '' without a body. */
  body: string;
  /** Lowercase hex, '' when absent. */
  traceId: string;
  spanId: string;
  /** The resource's service.name, '' when absent. */
  service: string;
  /** Resource attributes as text (attributeText), in record order. */
  resource: ReadonlyArray<readonly [string, string]>;
  /** The record's own attributes as text. */
  attributes: ReadonlyArray<readonly [string, string]>;
}

/** Severity levels as ranges of severity numbers (OTLP log data model). */
export const SEVERITY_LEVELS = [
  { name: 'trace', min: 1, max: 4 },
  { name: 'debug', min: 5, max: 8 },
  { name: 'info', min: 9, max: 12 },
  { name: 'warn', min: 13, max: 16 },
  { name: 'error', min: 17, max: 20 },
  { name: 'fatal', min: 21, max: 24 },
] as const;

export type SeverityLevel = (typeof SEVERITY_LEVELS)[number]['name'] | 'unknown';

/** The level of a severity number ('unknown' for 0 or out of range). */
export function severityLevel(severityNumber: number): SeverityLevel {
  for (const l of SEVERITY_LEVELS) if (severityNumber >= l.min && severityNumber <= l.max) return l.name;
  return 'unknown';
}

const TEXT_LEVELS: Record<string, number> = { trace: 1, debug: 5, info: 9, information: 9, warn: 13, warning: 13, error: 17, err: 17, fatal: 21, critical: 21 };

/** The severity number of a record: its own, else its severity text's level (lowest number of the level), else 0. */
export function severityNumberOf(severityNumber: number, severityText: string): number {
  if (severityNumber > 0) return severityNumber;
  return TEXT_LEVELS[severityText.trim().toLowerCase()] ?? 0;
}

/** The line of a body. */
export function bodyText(record: LogRecord): string {
  const body = record.body;
  if (body === undefined) return '';
  return body.type === 'string' ? body.value : attributeText(body);
}

/** The row of an OTLP log record. */
export function logRow(record: LogRecord): LogRow {
  const useObserved = record.timeMs === 0 && record.timeNanos === 0;
  const resource = record.resource.attributes.map((a) => [a.key, attributeText(a)] as const);
  return {
    timeMs: useObserved ? record.observedTimeMs : record.timeMs,
    timeNanos: useObserved ? record.observedTimeNanos : record.timeNanos,
    severityNumber: severityNumberOf(record.severityNumber, record.severityText),
    severityText: record.severityText,
    body: bodyText(record),
    traceId: record.traceId,
    spanId: record.spanId,
    service: resource.find(([k]) => k === 'service.name')?.[1] ?? '',
    resource,
    attributes: record.attributes.map((a) => [a.key, attributeText(a)] as const),
  };
}

/** Newest first: by time descending (ms, then ns). */
export function newestFirst(a: LogRow, b: LogRow): number {
  return b.timeMs - a.timeMs || b.timeNanos - a.timeNanos;
}

/** The time of a row as a decimal string of ns since the epoch (Loki's timestamps). */
export function unixNanoText(row: Pick<LogRow, 'timeMs' | 'timeNanos'>): string {
  if (row.timeMs === 0) return String(row.timeNanos);
  return `${row.timeMs}${String(row.timeNanos).padStart(6, '0')}`;
}
