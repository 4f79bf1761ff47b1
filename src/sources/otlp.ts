// Sources over the OTLP input topics: one Kafka record (an Export*ServiceRequest, protobuf or JSON) becomes
// its points, spans or log records, keyed by series id (metrics) or trace id (spans), timed by event time. A record's
// `tenant` header is part of every key (src/otlp/tenant.ts).
import { decodeLogs, decodeLogsJson, decodeMetricsJson, decodeTraces, decodeTracesJson, seriesId, TENANT_HEADER, tenantKey, type LogRecord, type MetricPoint, type Span } from '../otlp/index.ts';
import { decodeMetricPointsWithIds } from '../otlp/seriesId.ts';
import type { SourceItem, SourceMessage, SourceSpec } from '../runtime/topology.ts';

export type OtlpEncoding = 'otlp_proto' | 'otlp_json';

function body(m: SourceMessage): Buffer {
  if (!m.value || m.value.length === 0) throw new Error('empty record value: expected an OTLP export request');
  return m.value;
}

// The collector's kafka exporter writes one encoding per topic; JSON is recognised by its first byte so a topic
// fed by both kinds of producer still decodes.
function isJson(value: Buffer, encoding: OtlpEncoding | 'auto'): boolean {
  return encoding === 'otlp_json' || (encoding === 'auto' && value[0] === 0x7b);
}

/** Metric points of `otlp_metrics`, keyed by series id, at their event time. */
export function otlpMetricPoints(topic = 'otlp_metrics', encoding: OtlpEncoding | 'auto' = 'auto'): SourceSpec<MetricPoint> {
  return {
    topic,
    decode(m) {
      const value = body(m);
      const tenant = m.headers[TENANT_HEADER];
      // An array, not a generator: a record holds ~1,000 points and this is the rollup's hot path.
      if (isJson(value, encoding)) {
        const points = decodeMetricsJson(value);
        const items = new Array<SourceItem<MetricPoint>>(points.length);
        for (let i = 0; i < points.length; i++) {
          const point = points[i];
          items[i] = { key: tenantKey(tenant, seriesId(point)), timestamp: point.timeMs, value: point };
        }
        return items;
      }
      // Protobuf: series ids come from a cache keyed by the points' raw attribute bytes (seriesId.ts).
      const { points, seriesIds } = decodeMetricPointsWithIds(value);
      const items = new Array<SourceItem<MetricPoint>>(points.length);
      for (let i = 0; i < points.length; i++) {
        const point = points[i];
        items[i] = { key: tenant ? tenantKey(tenant, seriesIds[i]) : seriesIds[i], timestamp: point.timeMs, value: point };
      }
      return items;
    },
  };
}

/** Spans of `otlp_spans`, keyed by trace id, at their end time. */
export function otlpSpans(topic = 'otlp_spans', encoding: OtlpEncoding | 'auto' = 'auto'): SourceSpec<Span> {
  return {
    topic,
    *decode(m) {
      const value = body(m);
      const tenant = m.headers[TENANT_HEADER];
      for (const span of isJson(value, encoding) ? decodeTracesJson(value) : decodeTraces(value)) yield { key: tenantKey(tenant, span.traceId), timestamp: span.endTimeMs, value: span };
    },
  };
}

/** Log records of `otlp_logs`, keyed by the record's Kafka key (the resource hash), at their time (observed time if unset). */
export function otlpLogs(topic = 'otlp_logs', encoding: OtlpEncoding | 'auto' = 'auto'): SourceSpec<LogRecord> {
  return {
    topic,
    *decode(m) {
      const value = body(m);
      const tenant = m.headers[TENANT_HEADER];
      const key = m.key ? tenantKey(tenant, m.key.toString('hex')) : tenant ? tenantKey(tenant, '') : null;
      for (const log of isJson(value, encoding) ? decodeLogsJson(value) : decodeLogs(value)) yield { key, timestamp: log.timeMs || log.observedTimeMs, value: log };
    },
  };
}

/** The numeric value of a gauge or sum point (ints as numbers), or undefined for other point types. */
export function pointValue(point: MetricPoint): number | undefined {
  if (point.type === 'gauge' || point.type === 'sum') return Number(point.value);
  return undefined;
}
