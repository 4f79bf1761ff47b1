// Prometheus remote write: rollup partials through the remote_write sink component (translation, then the
// ExternalSink's write: merge, protobuf, snappy, POST) into the stack's Prometheus. perSecond counts rollup rows;
// a gauge row is 1 sample, a histogram row 6 (3 buckets, sum, count), as the variant says.
import { benchStack } from '../stack.ts';
import { remoteWriteSinkComponent } from '../../../src/topology/sinks/remoteWrite.ts';
import type { TimeSeries } from '../../../src/sinks/prometheus/remoteWrite.ts';
import { unique } from '../util.ts';
import type { SinkFigure } from './figure.ts';
import { chunks, rollupItems, timeBatches } from './rollupRows.ts';

const BATCH = 1000;

/** Rows/s and p99 batch latency for gauges (1 sample per row) and histograms (6 samples per row) into Prometheus. */
export async function measure(rows: number): Promise<SinkFigure[]> {
  const stack = await benchStack();
  const { config } = stack;
  const figures: SinkFigure[] = [];
  for (const [kind, samplesPerRow] of [['gauge', 1], ['histogram', 6]] as const) {
    const component = remoteWriteSinkComponent.options.parse({ name: `bench-${kind}` });
    const { spec, row } = remoteWriteSinkComponent.create(component, { application: 'bench', stage: 'items', fields: undefined as never });
    const sink = await spec.create({ application: 'bench', targets: {}, config });
    const windows = rollupItems(rows, kind, unique('bench-prom'));
    // Rows in window order; a request never holds two windows of one series out of order.
    const series = windows.flat().map(({ item, key }) => row(item, key, item.window!.start) as TimeSeries[]);
    figures.push(await timeBatches('prometheus', `remote write, ${kind} (${samplesPerRow} sample${samplesPerRow > 1 ? 's' : ''} per row), ${BATCH} rows per request`, chunks(series, BATCH), (b) => sink.write(b)));
    await sink.close();
  }
  await stack.close();
  return figures;
}
