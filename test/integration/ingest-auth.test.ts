// The gateway on the internet edge, against the real broker: bearer tokens and client certificates name the
// tenant on every Kafka record, a header cannot pick another tenant, TLS and mTLS on OTLP/HTTP and OTLP/gRPC
// with a CA made in the test, and per-tenant budgets and rates under a flood.
import { request } from 'node:https';
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { createGateway, otlpServiceDefinition, parseCredentials, tokenDigest, type Gateway } from '../../src/ingest/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { splitTraces, type Signal } from '../../src/otlp/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, unique } from '../helpers/stack.ts';
import { createTestCa, type Pem } from '../helpers/testCa.ts';

const T0 = 1_767_225_600_000;
const ACME_TOKEN = 'acme-Z8r2Kq4Lw7Nx';
const GLOBEX_TOKEN = 'globex-Hf5Tb1Vm9Pc3';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface TlsClient {
  ca: Buffer;
  cert?: Pem;
}

/** POSTs over HTTPS with the CA to trust and, for mTLS, a client certificate. */
function httpsPost(port: number, path: string, body: Buffer, tls: TlsClient, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1', port, path, method: 'POST', ca: tls.ca, cert: tls.cert?.cert, key: tls.cert?.key, agent: false,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function post(port: number, body: Buffer, headers: Record<string, string>): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf', ...headers } });
}

type ExportClient = Client & { Export(req: Buffer, md: Metadata, cb: (err: ServiceError | null, res?: Buffer) => void): void };

function grpcClient(signal: Signal, port: number, tls: TlsClient | undefined): ExportClient {
  const Ctor = makeGenericClientConstructor(otlpServiceDefinition(signal), `${signal}Service`);
  const creds = tls === undefined ? credentials.createInsecure() : credentials.createSsl(tls.ca, tls.cert?.key ?? null, tls.cert?.cert ?? null);
  return new Ctor(`127.0.0.1:${port}`, creds) as unknown as ExportClient;
}

function grpcCall(client: ExportClient, body: Buffer, metadata: Record<string, string> = {}): Promise<{ err: ServiceError | null }> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => client.Export(body, md, (err) => resolve({ err })));
}

const tenantsOn = async (topic: string, count: number) => (await readTopic(kafka(), topic, { count })).map((m) => m.headers?.tenant?.toString());

describe('ingest gateway authentication and TLS', () => {
  const ca = createTestCa();
  const server = ca.issue('localhost', 'server');
  const acmeClient = ca.issue('collector.acme.example', 'client');
  const strangerClient = ca.issue('stranger.example', 'client');
  const rogueCa = createTestCa('rogue CA');
  const rogueClient = rogueCa.issue('collector.acme.example', 'client');
  const traffic = new Traffic({ seed: 31, startMs: T0 });
  const gateways: Gateway[] = [];
  const clients: ExportClient[] = [];
  // Acme's token is in the file as its digest only; globex's plain.
  const tokens = { [`sha256:${tokenDigest(ACME_TOKEN).toString('hex')}`]: 'acme', [GLOBEX_TOKEN]: 'globex' };
  const tenancy = (mutual: boolean) => ({ mode: 'auth', credentials: parseCredentials({ tokens, clients: mutual ? { 'collector.acme.example': 'acme' } : {} }, 'test') }) as const;

  beforeAll(() => registerSnappy());
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const g of gateways) await g.stop();
  });

  async function start(tls: { clientCa?: Buffer }, prefix: string) {
    const topics = { traces: unique(`${prefix}-spans`), metrics: unique(`${prefix}-metrics`), logs: unique(`${prefix}-logs`) };
    const gateway = createGateway(kafka(), {
      httpPort: 0, grpcPort: 0, topics, partitions: 2, transactionalId: unique('gw'), tenancy: tenancy(tls.clientCa !== undefined),
      tls: { cert: server.cert, key: server.key, ...tls },
    });
    gateways.push(gateway);
    const ports = await gateway.start();
    return { topics, http: ports.httpPort, grpc: ports.grpcPort! };
  }
  const open = (signal: Signal, port: number, tls: TlsClient | undefined) => {
    const c = grpcClient(signal, port, tls);
    clients.push(c);
    return c;
  };

  describe('bearer tokens over TLS', () => {
    let gw: Awaited<ReturnType<typeof start>>;
    const tls = { ca: ca.cert };
    beforeAll(async () => {
      gw = await start({}, 'auth');
    });

    it('OTLP/HTTP: 401 without a valid token, 403 for a header naming another tenant, the token’s tenant on every record', async () => {
      const { traces } = traffic.encodedTraces(30);
      const missing = await httpsPost(gw.http, '/v1/traces', traces, tls);
      expect(missing.status).toBe(401);
      expect(missing.body.toString('latin1')).toContain('missing credentials');
      expect((await httpsPost(gw.http, '/v1/traces', traces, tls, { Authorization: 'Bearer wrong-token-0000' })).status).toBe(401);
      // The digest in the file is not a token.
      expect((await httpsPost(gw.http, '/v1/traces', traces, tls, { Authorization: `Bearer sha256:${tokenDigest(ACME_TOKEN).toString('hex')}` })).status).toBe(401);
      // A header alone is no credential, and cannot pick another tenant than the token's.
      expect((await httpsPost(gw.http, '/v1/traces', traces, tls, { 'X-Scope-OrgID': 'acme' })).status).toBe(401);
      const other = await httpsPost(gw.http, '/v1/traces', traces, tls, { Authorization: `Bearer ${ACME_TOKEN}`, 'X-Scope-OrgID': 'globex' });
      expect(other.status).toBe(403);
      expect(other.body.toString('latin1')).toContain('X-Scope-OrgID names a tenant other than the credential');

      const ok = await httpsPost(gw.http, '/v1/traces', traces, tls, { Authorization: `Bearer ${ACME_TOKEN}`, 'X-Scope-OrgID': 'acme' });
      expect(ok.status, ok.body.toString('latin1')).toBe(200);
      const { traces: second } = traffic.encodedTraces(30);
      expect((await httpsPost(gw.http, '/v1/traces', second, tls, { Authorization: `Bearer ${GLOBEX_TOKEN}` })).status).toBe(200);
      const tenants = await tenantsOn(gw.topics.traces, splitTraces(traces).length + splitTraces(second).length);
      expect(tenants.filter((t) => t === 'acme')).toHaveLength(splitTraces(traces).length);
      expect(tenants.filter((t) => t === 'globex')).toHaveLength(splitTraces(second).length);
      expect(new Set(tenants)).toEqual(new Set(['acme', 'globex']));
    });

    it('OTLP/HTTP: refuses plaintext on the TLS port', async () => {
      await expect(post(gw.http, traffic.encodedTraces(1).traces, { Authorization: `Bearer ${ACME_TOKEN}` })).rejects.toThrow();
    });

    it('OTLP/gRPC: UNAUTHENTICATED without a valid token, PERMISSION_DENIED for another tenant, the token’s tenant on every record', async () => {
      const { logs, logRecords } = traffic.encodedTraces(40);
      expect(logRecords).toBeGreaterThan(0);
      const client = open('logs', gw.grpc, tls);
      expect((await grpcCall(client, logs)).err?.code).toBe(status.UNAUTHENTICATED);
      expect((await grpcCall(client, logs, { authorization: 'Bearer wrong-token-0000' })).err?.code).toBe(status.UNAUTHENTICATED);
      const other = await grpcCall(client, logs, { authorization: `Bearer ${GLOBEX_TOKEN}`, 'x-scope-orgid': 'acme' });
      expect(other.err?.code).toBe(status.PERMISSION_DENIED);
      expect((await grpcCall(client, logs, { authorization: `Bearer ${GLOBEX_TOKEN}` })).err).toBeNull();
      const tenants = await tenantsOn(gw.topics.logs, 1);
      expect(new Set(tenants)).toEqual(new Set(['globex']));
      // A plaintext client gets nowhere.
      expect((await grpcCall(open('logs', gw.grpc, undefined), logs, { authorization: `Bearer ${GLOBEX_TOKEN}` })).err?.code).toBe(status.UNAVAILABLE);
    });
  });

  describe('client certificates (mTLS)', () => {
    let gw: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      gw = await start({ clientCa: ca.cert }, 'mtls');
    });

    it('OTLP/HTTP: a certificate the CA signed names its tenant; none, or one from another CA, is refused', async () => {
      const { traces } = traffic.encodedTraces(25);
      const ok = await httpsPost(gw.http, '/v1/traces', traces, { ca: ca.cert, cert: acmeClient });
      expect(ok.status, ok.body.toString('latin1')).toBe(200);
      expect(new Set(await tenantsOn(gw.topics.traces, splitTraces(traces).length))).toEqual(new Set(['acme']));

      expect((await httpsPost(gw.http, '/v1/traces', traces, { ca: ca.cert, cert: acmeClient }, { 'X-Scope-OrgID': 'globex' })).status).toBe(403);
      const stranger = await httpsPost(gw.http, '/v1/traces', traces, { ca: ca.cert, cert: strangerClient });
      expect(stranger.status).toBe(401);
      expect(stranger.body.toString('latin1')).toContain('CN "stranger.example" maps to no tenant');
      await expect(httpsPost(gw.http, '/v1/traces', traces, { ca: ca.cert })).rejects.toThrow();
      await expect(httpsPost(gw.http, '/v1/traces', traces, { ca: ca.cert, cert: rogueClient })).rejects.toThrow();
    });

    it('OTLP/gRPC: a certificate the CA signed names its tenant; a client without one is refused', async () => {
      const { metrics } = traffic.encodedMetrics(T0 + 10_000);
      expect((await grpcCall(open('metrics', gw.grpc, { ca: ca.cert, cert: acmeClient }), metrics)).err).toBeNull();
      expect(new Set(await tenantsOn(gw.topics.metrics, 1))).toEqual(new Set(['acme']));
      expect((await grpcCall(open('metrics', gw.grpc, { ca: ca.cert, cert: strangerClient }), metrics)).err?.code).toBe(status.UNAUTHENTICATED);
      expect((await grpcCall(open('metrics', gw.grpc, { ca: ca.cert }), metrics)).err?.code).toBe(status.UNAVAILABLE);
      expect((await grpcCall(open('metrics', gw.grpc, { ca: ca.cert, cert: rogueClient }), metrics)).err?.code).toBe(status.UNAVAILABLE);
    });
  });
});

describe('per-tenant budgets and rates', () => {
  const traffic = new Traffic({ seed: 32, startMs: T0 });
  let gateway: Gateway;
  let http: number;
  let grpc: number;
  const clients: ExportClient[] = [];

  beforeAll(async () => {
    registerSnappy();
    const topics = { traces: unique('budget-spans'), metrics: unique('budget-metrics'), logs: unique('budget-logs') };
    gateway = createGateway(kafka(), {
      httpPort: 0, grpcPort: 0, topics, partitions: 2, transactionalId: unique('gw'),
      // Alone, the flooding tenant could hold the whole gateway budget; its share is less than half of it. (A request
      // holds its body and its records, which repeat the resource per trace: about three times a body here.)
      maxBodyBytes: 64 * 1024, maxInflightBytes: 768 * 1024, tenantMaxInflightBytes: 320 * 1024,
      tenancy: { mode: 'auth', credentials: parseCredentials({ tokens: { [ACME_TOKEN]: 'acme', [GLOBEX_TOKEN]: 'globex', 'slow-Qe3Rt5Yu7Io9': 'slow' }, limits: { slow: { itemsPerSecond: 50 } } }, 'test') },
    });
    ({ httpPort: http, grpcPort: grpc } = (await gateway.start()) as { httpPort: number; grpcPort: number });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.stop();
  });

  it('answers a flooding tenant 429 naming its share while another tenant is served', async () => {
    const bodies = Array.from({ length: 16 }, () => traffic.encodedTraces(250).traces);
    expect(bodies[0].length).toBeGreaterThan(40 * 1024);
    const flood = Promise.all(bodies.map((b) => post(http, b, { Authorization: `Bearer ${ACME_TOKEN}` })));
    const served: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(http, traffic.encodedTraces(250).traces, { Authorization: `Bearer ${GLOBEX_TOKEN}` });
      served.push(`${res.status} ${Buffer.from(await res.arrayBuffer()).toString('latin1')}`);
    }
    const flooded = await flood;
    expect(served).toEqual(['200 ', '200 ', '200 ']);
    const statuses = flooded.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    const refused = flooded.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(Buffer.from(await refused.arrayBuffer()).toString('latin1')).toContain('tenant acme has its share of the in-flight byte budget (327680 bytes) in use');
  });

  it('answers a tenant over its rate 429 / RESOURCE_EXHAUSTED with the wait, on HTTP and gRPC, while others pass', async () => {
    const slow = { Authorization: 'Bearer slow-Qe3Rt5Yu7Io9' };
    const body = traffic.encodedTraces(200).traces;
    expect((await post(http, body, slow)).status).toBe(200); // in while the bucket is positive; 200 spans of debt at 50/s
    const refused = await post(http, body, slow);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(3);
    expect(Buffer.from(await refused.arrayBuffer()).toString('latin1')).toContain('tenant slow is over its rate limit of 50 items/s');
    const client = grpcClient('traces', grpc, undefined);
    clients.push(client);
    const { err } = await grpcCall(client, body, { authorization: 'Bearer slow-Qe3Rt5Yu7Io9' });
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err?.details).toContain('over its rate limit of 50 items/s');
    expect((await grpcCall(client, body, { authorization: `Bearer ${GLOBEX_TOKEN}` })).err).toBeNull();
  });
});
