// Property tests: random valid records survive protobuf and OTLP/JSON round trips, and protobufjs (loaded
// from schemas/) reads our protobuf bytes as the same values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogs } from './decodeLogs.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { decodeTraces } from './decodeTraces.ts';
import { encodeLogs } from './encodeLogs.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import { encodeTraces } from './encodeTraces.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
import { encodeLogsJson, encodeMetricsJson, encodeTracesJson } from './jsonEncode.ts';
import type { Resource, Scope } from './model.ts';
import { logRecords, metricPoints, spans } from './testing/arbitraries.ts';
import { requestTypes } from './testing/protobufjs.ts';

const RUNS = { numRuns: 150 };
const types = requestTypes();

// Which records share a Resource / Scope object must survive too, not just the values.
function sharing(records: ReadonlyArray<{ resource: Resource; scope: Scope }>): number[][] {
  const resources = new Map<Resource, number>();
  const scopes = new Map<Scope, number>();
  return records.map((r) => {
    if (!resources.has(r.resource)) resources.set(r.resource, resources.size);
    if (!scopes.has(r.scope)) scopes.set(r.scope, scopes.size);
    return [resources.get(r.resource)!, scopes.get(r.scope)!];
  });
}

// protobufjs's JSON form is OTLP/JSON except for ids, which it writes as base64: turn those into hex.
function idsToHex(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(idsToHex);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof x === 'string' ? Buffer.from(x, 'base64').toString('hex') : idsToHex(x);
  }
  return out;
}

function viaProtobufjs(type: protobufjsType, bytes: Uint8Array): unknown {
  return idsToHex(type.toObject(type.decode(bytes), { longs: String, bytes: String, json: true }));
}
type protobufjsType = (typeof types)['traces'];

describe('protobuf round trip', () => {
  it('spans', () => {
    fc.assert(
      fc.property(spans, (records) => {
        const decoded = decodeTraces(encodeTraces(records));
        expect(decoded).toEqual(records);
        expect(sharing(decoded)).toEqual(sharing(records));
      }),
      RUNS,
    );
  });

  it('metric points of every type', () => {
    fc.assert(
      fc.property(metricPoints, (records) => {
        const decoded = decodeMetrics(encodeMetrics(records));
        expect(decoded).toEqual(records);
        expect(sharing(decoded)).toEqual(sharing(records));
      }),
      RUNS,
    );
  });

  it('log records', () => {
    fc.assert(
      fc.property(logRecords, (records) => {
        const decoded = decodeLogs(encodeLogs(records));
        expect(decoded).toEqual(records);
        expect(sharing(decoded)).toEqual(sharing(records));
      }),
      RUNS,
    );
  });
});

describe('OTLP/JSON round trip', () => {
  it('spans', () => {
    fc.assert(fc.property(spans, (records) => {
      expect(decodeTracesJson(encodeTracesJson(records))).toEqual(records);
    }), RUNS);
  });

  it('metric points', () => {
    fc.assert(fc.property(metricPoints, (records) => {
      expect(decodeMetricsJson(encodeMetricsJson(records))).toEqual(records);
    }), RUNS);
  });

  it('log records', () => {
    fc.assert(fc.property(logRecords, (records) => {
      expect(decodeLogsJson(encodeLogsJson(records))).toEqual(records);
    }), RUNS);
  });
});

describe('protobufjs reads our encoder output as the same values', () => {
  it('spans', () => {
    fc.assert(fc.property(spans, (records) => {
      expect(decodeTracesJson(viaProtobufjs(types.traces, encodeTraces(records)))).toEqual(records);
    }), RUNS);
  });

  it('metric points', () => {
    fc.assert(fc.property(metricPoints, (records) => {
      expect(decodeMetricsJson(viaProtobufjs(types.metrics, encodeMetrics(records)))).toEqual(records);
    }), RUNS);
  });

  it('log records', () => {
    fc.assert(fc.property(logRecords, (records) => {
      expect(decodeLogsJson(viaProtobufjs(types.logs, encodeLogs(records)))).toEqual(records);
    }), RUNS);
  });
});
