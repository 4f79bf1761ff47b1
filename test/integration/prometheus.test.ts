// Remote write (protobuf WriteRequest, snappy, required headers) into Prometheus, read back through PromQL.
import { describe, expect, it } from 'vitest';
import { sendWriteRequest } from '../../src/sinks/prometheus/remoteWrite.ts';
import { rawSamples } from '../helpers/promql.ts';
import { stackSettings, unique } from '../helpers/stack.ts';

describe('Prometheus remote write', () => {
  it('accepts a WriteRequest and serves the samples through PromQL', async () => {
    const url = stackSettings().PROM_URL;
    const run = unique('run');
    const base = Date.now() - 60_000;
    const samples = [1, 2, 3, 5, 8].map((value, i) => ({ value, timestamp: base + i * 10_000 }));
    await sendWriteRequest(`${url}/api/v1/write`, [
      { labels: [{ name: '__name__', value: 'otlp_test_requests_total' }, { name: 'job', value: 'test' }, { name: 'run', value: run }], samples },
    ]);
    const back = await rawSamples(url, `otlp_test_requests_total{run="${run}"}`, base + 60_000, { retryUntil: samples.length });
    expect(back).toEqual(samples.map((s) => [s.timestamp, s.value]));
  });

  it('rejects a request that is not snappy-compressed protobuf', async () => {
    const res = await fetch(`${stackSettings().PROM_URL}/api/v1/write`, {
      method: 'POST',
      body: 'not a write request',
      headers: { 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    });
    expect(res.status).toBe(400);
  });
});
