// InfluxDB line protocol (@influxdata/influxdb-client) into VictoriaMetrics, read back through PromQL.
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { rawSamples } from '../helpers/promql.ts';
import { stackSettings, unique } from '../helpers/stack.ts';

describe('VictoriaMetrics', () => {
  it('accepts line protocol and serves the same values through PromQL', async () => {
    const url = stackSettings().VM_URL;
    const run = unique('run');
    const writer = new InfluxDB({ url, token: '' }).getWriteApi('otlp', 'otlp', 'ms', { flushInterval: 0 });
    const base = Date.now() - 60_000;
    const values = [0.5, 1.25, 2, 3.75, 10];
    values.forEach((v, i) => writer.writePoint(new Point('cpu').tag('run', run).tag('host', 'a').floatField('usage', v).timestamp(new Date(base + i * 10_000))));
    await writer.close();

    const samples = await rawSamples(url, `cpu_usage{run="${run}",host="a"}`, base + 60_000, { retryUntil: values.length });
    expect(samples).toEqual(values.map((v, i) => [base + i * 10_000, v]));
  });
});
