// Loki's HTTP API over the log store, for the LogQL subset of src/query/logql (docs/logs.md, Loki): query_range,
// query, labels and label values, in Loki's response shapes, so a Grafana Loki data source can point at us. Rows come
// from the segments in the range, narrowed by the index where the query allows (an exact service_name or level
// matcher); every row is checked against the whole query again by the LogQL evaluator.
import { SEVERITY_LEVELS, type LogRow } from '../../logs/model.ts';
import type { LogQuery } from '../logql/ast.ts';
import { instantQuery, labels, labelValues, queryRange, type ScanRequest } from '../logql/endpoints.ts';
import { LogQLError } from '../logql/parse.ts';
import type { Plan } from '../logs/plan.ts';
import type { LogSearch } from '../logs/search.ts';
import { BadParameter, json, type Reply, type Route, type RouteContext, type RouteRequest } from './route.ts';

const MS = 1_000_000n;

/** What the index can narrow a LogQL query to: its exact service_name and level matchers. */
export function lokiPlan(query: LogQuery | undefined): Plan {
  const items: Plan[] = [];
  for (const m of query?.matchers ?? []) {
    if (m.op !== '=') continue;
    if (m.name === 'service_name') items.push({ op: 'terms', field: 'resource.service.name', terms: { kind: 'exact', values: [m.value] } });
    if (m.name === 'level') {
      const level = SEVERITY_LEVELS.find((l) => l.name === m.value);
      const values = level === undefined ? (m.value === 'unknown' ? ['0'] : []) : Array.from({ length: level.max - level.min + 1 }, (_, i) => String(level.min + i));
      items.push({ op: 'terms', field: 'severity', terms: { kind: 'exact', values } });
    }
  }
  return items.length === 0 ? { op: 'all' } : { op: 'and', items };
}

function rowSource(logs: LogSearch, tenant: string) {
  return function* rows(scan: ScanRequest): Generator<LogRow> {
    // ns → ms, widened to whole ms: the evaluator checks the exact bounds.
    const startMs = Number(scan.start / MS);
    const endMs = Number((scan.end + MS - 1n) / MS);
    for (const part of logs.scan(lokiPlan(scan.query), { tenant, startMs, endMs })) {
      if ('truncated' in part) return;
      for (const ordinal of part.ordinals) yield part.rows[ordinal];
    }
  };
}

function searchOf(ctx: RouteContext): LogSearch {
  if (ctx.logs === undefined) throw new BadParameter('path', 'this query service serves no logs (started without a logs topic)');
  return ctx.logs;
}

async function answer(run: () => Promise<unknown>): Promise<Reply> {
  try {
    return json(await run());
  } catch (err) {
    if (err instanceof LogQLError) throw new BadParameter('query', err.message);
    throw err;
  }
}

export function lokiRoutes(): Route[] {
  const route = (path: string, run: (req: RouteRequest, ctx: RouteContext) => Promise<unknown>): Route[] =>
    (['GET', 'POST'] as const).map((method) => ({ method, path, dialect: 'plain' as const, handle: (req, ctx) => answer(() => run(req, ctx)) }));
  const opts = () => ({ nowMs: Date.now(), clock: () => performance.now() });
  return [
    ...route('/loki/api/v1/query_range', (req, ctx) => queryRange(req.query, rowSource(searchOf(ctx), req.caller.tenant), opts())),
    ...route('/loki/api/v1/query', (req, ctx) => instantQuery(req.query, rowSource(searchOf(ctx), req.caller.tenant), opts())),
    ...route('/loki/api/v1/labels', (req, ctx) => labels(req.query, rowSource(searchOf(ctx), req.caller.tenant), opts())),
    ...route('/loki/api/v1/label/:name/values', (req, ctx) => labelValues(req.params.name ?? '', req.query, rowSource(searchOf(ctx), req.caller.tenant), opts())),
  ];
}
