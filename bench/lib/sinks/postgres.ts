// PostgreSQL rollup tables (postgres_rollup): the same rows through the real sink's write path, once as multi-row
// INSERT … ON CONFLICT and once as COPY into a staging table plus one merge, each into fresh tables.
import pg from 'pg';
import { metricAggregator, metricValues } from '../../../src/operators/metrics/index.ts';
import type { MetricPoint } from '../../../src/otlp/index.ts';
import { rollupTablesSink, type RollupRow, type WriteMethod } from '../../../src/sinks/postgres/rollupTables.ts';
import { quantile } from '../../report.ts';
import { benchStack } from '../stack.ts';
import { rng, unique } from '../util.ts';
import type { SinkFigure } from './figure.ts';

const MINUTE = 60_000;
const BATCH = 1_000;

/** `rows` gauge rollup rows: 1,000 series with four attributes each, over consecutive minutes. */
function rollupRows(rows: number): RollupRow[] {
  const random = rng(11);
  const aggregator = metricAggregator({ sketch: true });
  const base = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
  const out: RollupRow[] = [];
  for (let i = 0; i < rows; i++) {
    const s = i % 1_000;
    const start = base + Math.floor(i / 1_000) * MINUTE;
    const point = {
      resource: { attributes: [{ key: 'service.name', type: 'string', value: `svc-${s % 20}` }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' },
      scope: { name: 'bench', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      metric: { name: 'http.server.active_requests', description: '', unit: '{request}', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] },
      attributes: [
        { key: 'host', type: 'string', value: `host-${s}` },
        { key: 'route', type: 'string', value: `/api/${s % 7}` },
        { key: 'method', type: 'string', value: 'GET' },
        { key: 'zone', type: 'string', value: `z${s % 3}` },
      ],
      startTimeMs: 0, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [], type: 'gauge', valueType: 'double',
    } as unknown as Omit<MetricPoint, 'timeMs' | 'value'>;
    let partial = aggregator.init();
    for (let p = 0; p < 4; p++) partial = aggregator.add(partial, { ...point, timeMs: start + p * 15_000, value: Math.round(random() * 10_000) / 100 } as MetricPoint, start);
    out.push({ tenant: '', series: `series-${s.toString(16).padStart(8, '0')}`, windowStart: start, windowEnd: start + MINUTE, identity: partial.identity!, kind: partial.kind!, values: metricValues(partial), conflicts: 0 });
  }
  return out;
}

export async function measure(rows: number): Promise<SinkFigure[]> {
  const stack = await benchStack();
  const url = stack.config.postgres!.url;
  const data = rollupRows(rows);
  const figures: SinkFigure[] = [];
  try {
    for (const method of ['upsert', 'copy'] as WriteMethod[]) {
      const schema = unique('bench').replace('-', '_');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      try {
        const sink = await rollupTablesSink({ name: 'bench', resolution: '1m', table: `${schema}.rollup_1m`, seriesTable: `${schema}.otlp_series`, partitionMs: 86_400_000, retentionMs: null, method, timescale: 'off' }).create({ application: 'bench', targets: {}, config: stack.config });
        const latencies: number[] = [];
        const t0 = performance.now();
        for (let i = 0; i < data.length; i += BATCH) {
          const b0 = performance.now();
          await sink.write(data.slice(i, i + BATCH));
          latencies.push(performance.now() - b0);
        }
        const seconds = (performance.now() - t0) / 1000;
        await sink.close();
        const stored = Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.rollup_1m`)).rows[0].n);
        if (stored !== data.length) throw new Error(`postgres ${method}: ${stored} rows stored of ${data.length}`);
        figures.push({ sink: 'postgres', variant: method === 'upsert' ? 'multi-row upsert' : 'COPY + merge', rows: data.length, perSecond: data.length / seconds, p99BatchMs: quantile(latencies, 0.99) });
      } finally {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    }
  } finally {
    await stack.close();
  }
  return figures;
}
