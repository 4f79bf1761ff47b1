// `npm run bench -- sinks`: rows/s and p99 batch latency of each sink's real write path against the stack's servers.
// SINK_ROWS sets the rows per sink (default 100,000); batches of 1,000 rows, one request at a time.
import { report, type BenchResult } from './report.ts';
import type { SinkFigure } from './lib/sinks/figure.ts';
import { measure as influx } from './lib/sinks/influx.ts';
import { measure as parquet } from './lib/sinks/parquet.ts';
import { measure as postgres } from './lib/sinks/postgres.ts';
import { measure as prometheus } from './lib/sinks/prometheus.ts';
import { benchStack } from './lib/stack.ts';
import { envNumber, note } from './lib/util.ts';

const rows = envNumber('SINK_ROWS', 100_000);
// One stack for every sink: each measure reuses it, and it stops at the end only if this bench started it.
const stack = await benchStack();
const figures: SinkFigure[] = [];
for (const [name, measure] of Object.entries({ postgres, parquet, prometheus, influx })) {
  note(`${name}: ${rows.toLocaleString('en-US')} rows`);
  figures.push(...(await measure(rows)));
}
const results: BenchResult[] = figures.flatMap((f) => [
  { metric: `${f.sink} ${f.variant}`, value: Math.round(f.perSecond), unit: 'rows/s' },
  { metric: `${f.sink} ${f.variant} p99 batch`, value: Math.round(f.p99BatchMs * 10) / 10, unit: 'ms' },
]);
report('sinks', results);
await stack.close();
process.exit(0);
