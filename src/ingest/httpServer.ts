// OTLP/HTTP: POST /v1/traces, /v1/metrics, /v1/logs (protobuf or JSON, optionally gzip), plus /healthz,
// /readyz and /metrics. Errors carry a google.rpc.Status body in the request's format and, when the client
// should come back, Retry-After.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Signal } from '../otlp/index.ts';
import type { RequestFormat } from '../producer/index.ts';
import { BodyError, readBody } from './body.ts';
import type { GatewayCore } from './core.ts';
import { admit } from './admission.ts';
import { exportRequest, type ExportOutcome } from './exportRequest.ts';
import type { Reservation } from './limiter.ts';
import { GRPC_CODE, HTTP_STATUS, isRetryable, retryAfterOf } from './outcome.ts';
import { exportResponse, statusBody } from './responses.ts';
import { socketCertificateCn } from './tls.ts';

const ROUTES: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const CONTENT_TYPE: Record<RequestFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The request listener of the gateway's HTTP server. */
export function httpHandler(core: GatewayCore): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const signal = ROUTES[path];
    if (signal !== undefined) {
      if (req.method !== 'POST') return plain(res, 405, 'use POST', { Allow: 'POST' });
      void core.track(() => handleExport(core, signal, req, res));
      return;
    }
    if (!['/healthz', '/readyz', '/metrics'].includes(path)) return plain(res, 404, `no route ${path}; OTLP/HTTP is served at ${Object.keys(ROUTES).join(', ')}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'use GET', { Allow: 'GET' });
    if (path === '/healthz') return plain(res, 200, 'ok');
    if (path === '/readyz') {
      void core.ready().then((ok) => plain(res, ok ? 200 : 503, ok ? 'ready' : core.draining() ? 'shutting down' : 'Kafka unreachable'));
      return;
    }
    void core.metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': core.metrics.registry.contentType }).end(text);
    });
  };
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(text + '\n');
}

function formatOf(contentType: string | undefined): RequestFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

async function handleExport(core: GatewayCore, signal: Signal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const format = formatOf(req.headers['content-type']);
  let bodyRead = false;
  let outcome: ExportOutcome;
  try {
    outcome = await (async (): Promise<ExportOutcome> => {
      if (core.draining()) return { kind: 'draining', message: 'the gateway is shutting down; retry' };
      if (format === undefined) {
        return { kind: 'unsupported', message: `unsupported Content-Type "${req.headers['content-type'] ?? ''}" (use application/x-protobuf or application/json)` };
      }
      // Before the body is read: a refused tenant costs no memory.
      const admission = admit(core, { authorization: req.headers.authorization, orgId: header(req, 'x-scope-orgid'), certificateCn: socketCertificateCn(req.socket) });
      if ('refused' in admission) return admission.refused;
      try {
        const limit = format === 'json' ? Math.min(core.options.maxJsonBodyBytes, core.options.maxBodyBytes) : core.options.maxBodyBytes;
        const read = await readOrRefuse(req, limit, admission.reservation);
        if ('refused' in read) return admission.settle(read.refused, 0);
        bodyRead = true;
        const result = await exportRequest(core, { signal, format, body: read.body, tenant: admission.tenant, reservation: admission.reservation });
        return admission.settle(result, read.body.length);
      } finally {
        admission.reservation.release();
      }
    })();
  } catch (err) {
    outcome = { kind: 'internal', message: (err as Error).message };
  }
  core.count(signal, 'http', outcome);

  const responseFormat = format ?? 'protobuf';
  const headers: Record<string, string | number> = { 'Content-Type': CONTENT_TYPE[responseFormat] };
  // A body we did not read to the end cannot leave the connection reusable.
  if (!bodyRead) headers.Connection = 'close';
  if (isRetryable(outcome.kind)) headers['Retry-After'] = retryAfterOf(outcome, core.options.retryAfterSeconds);
  const status = HTTP_STATUS[outcome.kind];
  const body =
    outcome.kind === 'accepted'
      ? exportResponse(signal, responseFormat, outcome.rejected, outcome.message)
      : statusBody(responseFormat, GRPC_CODE[outcome.kind], outcome.message);
  res.writeHead(status, headers).end(body);
  if (!bodyRead) req.resume();
}

async function readOrRefuse(req: IncomingMessage, maxBytes: number, reservation: Reservation): Promise<{ body: Buffer } | { refused: ExportOutcome }> {
  try {
    return { body: await readBody(req, maxBytes, reservation) };
  } catch (err) {
    if (err instanceof BodyError) return { refused: { kind: err.kind, message: err.message } };
    throw err;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
