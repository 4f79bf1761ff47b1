// `postgres`: window results upserted into a table keyed by (key, window_start), so replays rewrite the same rows.
import { z } from 'zod';
import { postgresSink } from '../../sinks/postgres/upsertSink.ts';
import type { SinkComponent } from '../component.ts';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/, 'expected a lower-case SQL identifier, optionally schema-qualified (rollup_1m, metrics.rollup_1m)');

const options = z.strictObject({
  table: identifier,
  /** Defaults to the table. */
  name: z.string().min(1).optional(),
});

/** Window results as rows: key, window_start, window_end, then the aggregate function's fields. */
export const postgresSinkComponent: SinkComponent<typeof options> = {
  description: 'PostgreSQL/TimescaleDB table, upserted by (key, window_start)',
  options,
  name: (o) => o.name ?? o.table,
  create(o, ctx) {
    const spec = postgresSink({
      name: o.name ?? o.table,
      table: o.table,
      columns: { key: 'text', window_start: 'bigint', window_end: 'bigint', ...ctx.function.fields },
      key: ['key', 'window_start'],
    });
    return {
      spec,
      row: (r) => ({ key: r.key, window_start: r.window.start, window_end: r.window.end, ...ctx.function.values(r.aggregate) }),
    };
  },
};
