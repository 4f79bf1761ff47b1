// Limits on the work one request may cause while it is split, so a hostile request cannot hold the event loop or
// allocate without bound. Exceeding one is a RequestLimitError (the gateway answers 400 naming the limit).
import { RequestLimitError } from './errors.ts';
import type { Signal } from './model.ts';

export interface RequestLimits {
  /** Most spans, data points or log records in one request. */
  maxItems: number;
  /**
   * Most attributes of one resource whose key is hashed (metrics and logs; the key sorts them), nested map entries and
   * array elements included.
   */
  maxResourceAttributes: number;
}

/** No limits: for trusted callers such as an application producing its own data. */
export const NO_REQUEST_LIMITS: Readonly<RequestLimits> = { maxItems: Infinity, maxResourceAttributes: Infinity };

const ITEM_NAMES: Record<Signal, string> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

/** Counts a request's items against `maxItems`, throwing RequestLimitError once they pass it. */
export class ItemCounter {
  count = 0;
  private readonly signal: Signal;
  private readonly max: number;

  constructor(signal: Signal, max: number) {
    this.signal = signal;
    this.max = max;
  }

  add(n: number): void {
    this.count += n;
    if (this.count > this.max) {
      throw new RequestLimitError('maxRequestItems', `the request has more than ${this.max} ${ITEM_NAMES[this.signal]}, the most one request may hold (maxRequestItems); send smaller batches`);
    }
  }
}

/** The error for a resource with more than `max` attributes. */
export function tooManyAttributes(max: number): RequestLimitError {
  return new RequestLimitError('maxResourceAttributes', `more than ${max} attributes (nested map entries and array elements included), the most a resource may have (maxResourceAttributes)`);
}

const JSON_PATHS: Record<Signal, string[]> = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
};
const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/**
 * Checks a parsed OTLP/JSON request against `maxItems` from array lengths alone, before it is decoded: its items, and
 * its resources and scopes (each becomes objects when decoded, even empty). Shapes that are not OTLP count as nothing
 * here; the decoder names them. Throws RequestLimitError.
 */
export function checkJsonItems(signal: Signal, request: unknown, maxItems: number): void {
  const containers = arrayAt(request, JSON_PATHS[signal][0]).reduce<number>((n, resource) => n + 1 + arrayAt(resource, JSON_PATHS[signal][1]).length, 0);
  if (containers > maxItems) {
    throw new RequestLimitError('maxRequestItems', `the request has more than ${maxItems} resources and scopes, the most one request may hold (maxRequestItems); send smaller batches`);
  }
  new ItemCounter(signal, maxItems).add(countJsonItems(signal, request));
}

function countJsonItems(signal: Signal, request: unknown): number {
  const [resources, scopes, items] = JSON_PATHS[signal];
  let n = 0;
  for (const resource of arrayAt(request, resources)) {
    for (const scope of arrayAt(resource, scopes)) {
      const list = arrayAt(scope, items);
      if (signal !== 'metrics') {
        n += list.length;
        continue;
      }
      for (const metric of list) {
        for (const data of METRIC_DATA) n += arrayAt(fieldOf(metric, data), 'dataPoints').length;
      }
    }
  }
  return n;
}

function fieldOf(v: unknown, name: string): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
}

function arrayAt(v: unknown, name: string): unknown[] {
  const a = fieldOf(v, name);
  return Array.isArray(a) ? a : [];
}
