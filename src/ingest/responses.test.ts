import { describe, expect, it } from 'vitest';
import { loadOtlpRoot } from '../otlp/testing/protobufjs.ts';
import { exportResponse, statusProto } from './responses.ts';

const root = loadOtlpRoot();

describe('response bodies', () => {
  it('are empty on full success and carry partial_success otherwise', () => {
    expect(exportResponse('traces', 'protobuf', 0, '')).toEqual(Buffer.alloc(0));
    expect(JSON.parse(exportResponse('logs', 'json', 0, '').toString())).toEqual({});
    expect(JSON.parse(exportResponse('metrics', 'json', 2, 'too big').toString())).toEqual({ partialSuccess: { rejectedDataPoints: '2', errorMessage: 'too big' } });
    // Checked against the published response messages (protobufjs over schemas/).
    for (const [signal, type, field] of [
      ['traces', 'trace.v1.ExportTraceServiceResponse', 'rejectedSpans'],
      ['metrics', 'metrics.v1.ExportMetricsServiceResponse', 'rejectedDataPoints'],
      ['logs', 'logs.v1.ExportLogsServiceResponse', 'rejectedLogRecords'],
    ] as const) {
      const message = root.lookupType(`opentelemetry.proto.collector.${type}`).decode(exportResponse(signal, 'protobuf', 300, 'x'.repeat(200)));
      expect(message.toJSON()).toEqual({ partialSuccess: { [field]: '300', errorMessage: 'x'.repeat(200) } });
    }
  });
  it('encode google.rpc.Status with a RetryInfo detail', () => {
    const bytes = statusProto(8, 'slow down', 5);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x08]));
    expect(bytes.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
  });
});
