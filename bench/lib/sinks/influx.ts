// InfluxDB line protocol: rollup partials through the influx sink component (Point per partial, then the
// ExternalSink's write: one /api/v2/write request per batch) into the stack's InfluxDB and its VictoriaMetrics.
// perSecond counts lines (one per rollup row).
import { benchStack } from '../stack.ts';
import { influxSinkComponent } from '../../../src/topology/sinks/influx.ts';
import { unique } from '../util.ts';
import type { SinkFigure } from './figure.ts';
import { chunks, rollupItems, timeBatches } from './rollupRows.ts';

const BATCH = 1000;

/** Lines/s and p99 batch latency for gauge and histogram partials into InfluxDB and VictoriaMetrics' InfluxDB endpoint. */
export async function measure(rows: number): Promise<SinkFigure[]> {
  const stack = await benchStack();
  const { config } = stack;
  const figures: SinkFigure[] = [];
  for (const server of ['influxdb', 'victoriametrics'] as const) {
    for (const kind of ['gauge', 'histogram'] as const) {
      const options = influxSinkComponent.options.parse({ name: `bench-${kind}`, server });
      const { spec, row } = influxSinkComponent.create(options, { application: 'bench', stage: 'items', fields: undefined as never });
      const sink = await spec.create({ application: 'bench', targets: {}, config });
      const lines = rollupItems(rows, kind, unique('bench-influx')).flat().map(({ item, key }) => row(item, key, item.window!.start) as string);
      const to = server === 'influxdb' ? 'InfluxDB 1.8' : 'VictoriaMetrics';
      figures.push(await timeBatches('influx', `line protocol to ${to}, ${kind}, ${BATCH} lines per request`, chunks(lines, BATCH), (b) => sink.write(b)));
      await sink.close();
    }
  }
  await stack.close();
  return figures;
}
