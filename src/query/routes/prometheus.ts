// Prometheus metadata under /prometheus/api/v1 (Grafana's Prometheus datasource URL takes a path): series, labels,
// label values, and our metric-name search — prometheus/handlers.ts answers, this only routes. Every replica reads
// all of otlp.series, so these answer locally (no fan-out).
import { labelsHandler, labelValuesHandler, metricNamesHandler, seriesHandler, type QueryResponse } from '../prometheus/index.ts';
import { errorReply, json, type Reply, type Route, type RouteContext, type RouteRequest } from './route.ts';

const BASE = '/prometheus/api/v1';

function answer(ctx: RouteContext, handle: (catalog: NonNullable<RouteContext['catalog']>) => QueryResponse): Reply {
  if (!ctx.catalog) return errorReply('prometheus', 404, 'this query service reads no series topic (--series-topic)');
  const { status, body } = handle(ctx.catalog);
  return json(body, status);
}

/** The Prometheus metadata routes. */
export function prometheusRoutes(): Route[] {
  const both = (path: string, handle: (req: RouteRequest, ctx: RouteContext) => Reply): Route[] =>
    (['GET', 'POST'] as const).map((method) => ({ method, path: `${BASE}${path}`, dialect: 'prometheus', handle: async (req, ctx) => handle(req, ctx) }));
  return [
    ...both('/series', (req, ctx) => answer(ctx, (c) => seriesHandler(c, req.caller.tenant, req.query))),
    ...both('/labels', (req, ctx) => answer(ctx, (c) => labelsHandler(c, req.caller.tenant, req.query))),
    ...both('/label/:name/values', (req, ctx) => answer(ctx, (c) => labelValuesHandler(c, req.caller.tenant, req.params.name ?? '', req.query))),
    ...both('/metadata/names', (req, ctx) => answer(ctx, (c) => metricNamesHandler(c, req.caller.tenant, req.query))),
  ];
}
