// The query service's HTTP server: node:http with find-my-way routes per dialect (Tempo at /api, Jaeger at
// /jaeger/api, Prometheus metadata at /prometheus/api/v1, the internal peer API at /internal/v1), tenancy resolved
// before any handler runs, errors in the dialect's shape, /metrics, /healthz and /readyz.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import { TENANT_ID } from '../ingest/credentials.ts';
import { resolveTenant, type Tenancy } from '../ingest/tenancy.ts';
import type { Logger } from '../log.ts';
import { QueryParameterError } from './errors.ts';
import type { QueryMetrics } from './metrics.ts';
import { FORWARDED_HEADER, internalAnswer, InternalRequestError, type Caller } from './peers.ts';
import { jaegerRoutes } from './routes/jaeger.ts';
import { logRoutes } from './routes/logs.ts';
import { lokiRoutes } from './routes/loki.ts';
import { rollupRoutes } from './routes/metrics.ts';
import { pipelineRoutes } from './routes/pipeline.ts';
import { prometheusRoutes } from './routes/prometheus.ts';
import { BadParameter, errorReply, text, type Reply, type Route, type RouteContext, type RouteRequest } from './routes/route.ts';
import { tempoRoutes } from './routes/tempo.ts';
import { uiRoutes } from './routes/ui.ts';
import { TraceQLError } from './traceql/index.ts';

/** Largest request body read (POSTed Prometheus forms, internal requests). */
export const MAX_BODY_BYTES = 1 << 20;

export interface QueryServerOptions {
  host: string;
  port: number;
  tenancy: Tenancy;
  context: RouteContext;
  metrics: QueryMetrics;
  isReady: () => boolean;
  log: Logger;
}

/** The answer to queries before the store caught up (503). */
export const NOT_READY = 'not ready: the query service is still catching up with its topics (see /readyz); retry shortly';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The caller of a request, or the refusal (401 / 403) when tenancy requires credentials it lacks. */
export function callerOf(tenancy: Tenancy, req: IncomingMessage): Caller | { status: number; error: string } {
  const authorization = header(req, 'authorization');
  const orgId = header(req, 'x-scope-orgid');
  const forward: Record<string, string> = {};
  if (authorization !== undefined) forward.authorization = authorization;
  if (orgId !== undefined) forward['x-scope-orgid'] = orgId;
  if (tenancy.mode === 'none') {
    // Single-tenant service, but the data may carry tenants: X-Scope-OrgID picks one, else the records without.
    if (orgId === undefined || orgId === '') return { tenant: '', forward };
    if (!TENANT_ID.test(orgId)) return { status: 400, error: `X-Scope-OrgID must match ${TENANT_ID}` };
    return { tenant: orgId, forward };
  }
  const result = resolveTenant(tenancy, { authorization, orgId });
  if ('refused' in result) return { status: result.refused === 'forbidden' ? 403 : 401, error: result.error };
  return { tenant: result.tenant ?? '', forward };
}

const internalRoute: Route = {
  method: 'POST',
  path: '/internal/v1/:operation',
  dialect: 'plain',
  async handle(req, ctx) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return text('internal request body is not JSON', 400);
    }
    try {
      return await internalAnswer(ctx.local, req.caller, req.params.operation ?? '', body);
    } catch (err) {
      if (err instanceof InternalRequestError || err instanceof TraceQLError) return text(err.message, 400);
      throw err;
    }
  },
};

/** The query service's HTTP server. */
export class QueryServer {
  private readonly server: Server;
  private readonly options: QueryServerOptions;

  constructor(options: QueryServerOptions) {
    this.options = options;
    const router = FindMyWay({
      ignoreTrailingSlash: true,
      defaultRoute: (_req, res) => send(res, text('not found', 404)),
    });
    const routes: Route[] = [
      ...tempoRoutes(options.context.version),
      ...jaegerRoutes(),
      ...prometheusRoutes(),
      ...logRoutes(),
      ...lokiRoutes(),
      ...rollupRoutes(),
      ...pipelineRoutes(),
      ...uiRoutes(),
      internalRoute,
      { method: 'GET', path: '/healthz', dialect: 'plain', public: true, handle: async () => text('ok') },
      { method: 'GET', path: '/readyz', dialect: 'plain', public: true, handle: async () => (options.isReady() ? text('ready') : text('catching up', 503)) },
      {
        method: 'GET',
        path: '/metrics',
        dialect: 'plain',
        public: true,
        handle: async () => ({ status: 200, type: options.metrics.registry.contentType, body: await options.metrics.registry.metrics() }),
      },
    ];
    for (const route of routes) {
      router.on(route.method, route.path, (req, res, params) => {
        void this.handle(route, req, res, params as Record<string, string | undefined>);
      });
    }
    this.server = createServer((req, res) => router.lookup(req, res));
  }

  private async handle(route: Route, req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>): Promise<void> {
    const started = process.hrtime.bigint();
    let reply: Reply;
    try {
      reply = await this.answer(route, req, params);
    } catch (err) {
      if (err instanceof BadParameter || err instanceof QueryParameterError) reply = errorReply(route.dialect, 400, err.message);
      else if (err instanceof BodyTooLarge) reply = errorReply(route.dialect, 413, `request body larger than ${MAX_BODY_BYTES} bytes`);
      else {
        this.options.log.error({ err, path: route.path }, 'query failed');
        reply = errorReply(route.dialect, 500, `internal error: ${(err as Error).message}`);
      }
    }
    send(res, reply);
    const { metrics } = this.options;
    metrics.requests.inc({ route: route.path, status: String(reply.status) });
    metrics.requestSeconds.observe({ route: route.path }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async answer(route: Route, req: IncomingMessage, params: Record<string, string | undefined>): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://query');
    let caller: Caller = { tenant: '', forward: {} };
    if (!route.public) {
      const resolved = callerOf(this.options.tenancy, req);
      if ('error' in resolved) return errorReply(route.dialect, resolved.status, resolved.error);
      caller = resolved;
    }
    // Until caught up, an answer would be partial without saying so: refuse it (peers then report this replica as failed).
    if (!route.public && !this.options.isReady()) return { ...errorReply(route.dialect, 503, NOT_READY), headers: { 'retry-after': '1' } };
    const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const query = new URLSearchParams(url.search);
    // A POSTed form (Prometheus clients POST long selectors) adds its parameters.
    if (req.method === 'POST' && (header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) query.append(k, v);
    }
    const request: RouteRequest = { params, query, headers: req.headers, caller, body };
    // A peer's request is answered from this replica's store only.
    const context = header(req, FORWARDED_HEADER) !== undefined ? { ...this.options.context, fanOut: this.options.context.localOnly, logPeers: undefined } : this.options.context;
    return route.handle(request, context);
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'content-type': reply.type, ...reply.headers });
  res.end(reply.body);
}

