// `postgres`: window results or source items upserted into a table by their natural key, so replays rewrite the same rows.
import { z } from 'zod';
import { postgresSink } from '../../sinks/postgres/upsertSink.ts';
import type { WindowResult } from '../../operators/index.ts';
import { idOf, tenantOf } from '../../otlp/index.ts';
import type { SinkComponent } from '../component.ts';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/, 'expected a lower-case SQL identifier, optionally schema-qualified (rollup_1m, metrics.rollup_1m)');

const options = z.strictObject({
  table: identifier,
  /** Defaults to the table. */
  name: z.string().min(1).optional(),
});

/**
 * Window results as rows: tenant, key (the series or trace id), window_start, window_end, then the aggregate
 * function's fields, upserted by (tenant, key, window_start). Source items as rows: tenant, key, time, identity,
 * name, then the source's numeric fields, upserted by (tenant, key, time, identity).
 */
export const postgresSinkComponent: SinkComponent<typeof options> = {
  description: 'PostgreSQL/TimescaleDB table, upserted by its natural key (tenant, key, window or item)',
  options,
  name: (o) => o.name ?? o.table,
  create(o, ctx) {
    const name = o.name ?? o.table;
    if (ctx.stage === 'results') {
      const fn = ctx.function;
      return {
        spec: postgresSink({ name, table: o.table, columns: { tenant: 'text', key: 'text', window_start: 'bigint', window_end: 'bigint', ...fn.fields }, key: ['tenant', 'key', 'window_start'] }),
        row: (value) => {
          const r = value as WindowResult<string, unknown>;
          return { tenant: tenantOf(r.key) ?? '', key: idOf(r.key), window_start: r.window.start, window_end: r.window.end, ...fn.values(r.aggregate) };
        },
      };
    }
    const { fields } = ctx;
    const numbers = Object.entries(fields.numbers);
    const columns: Record<string, string> = { tenant: 'text', key: 'text', time: 'bigint', identity: 'text', name: 'text' };
    for (const [field] of numbers) columns[field] = 'double precision';
    return {
      spec: postgresSink({ name, table: o.table, columns, key: ['tenant', 'key', 'time', 'identity'] }),
      row: (item, key, time) => {
        const row: Record<string, unknown> = { tenant: tenantOf(key) ?? '', key: key === null ? '' : idOf(key), time, identity: fields.identity(item), name: fields.name(item) };
        for (const [field, read] of numbers) row[field] = read(item) ?? null;
        return row;
      },
    };
  },
};
