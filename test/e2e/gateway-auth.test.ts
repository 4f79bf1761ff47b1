// `otlp-streams ingest` as its own process on the internet edge: TLS files from the environment, the client CA from
// a flag, tenants from a file and from INGEST_TENANT_TOKENS. Each credential's tenant lands on the Kafka records,
// and no token or key material ever appears in the process's output.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { splitTraces } from '../../src/otlp/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { createTestCa } from '../helpers/testCa.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

const ACME_TOKEN = 'acme-Uy6tR4eW2qLk';
const GLOBEX_TOKEN = 'globex-Nb8vC6xZ4aSd';
const INITECH_TOKEN = 'initech-Jh5gF3dS1aPo';

describe('otlp-streams ingest with authentication and mTLS, as a process', () => {
  const ca = createTestCa();
  const server = ca.issue('localhost', 'server');
  const collector = ca.issue('collector.acme.example', 'client');
  const topic = unique('edge-spans');
  const traffic = new Traffic({ seed: 41, startMs: 1_767_225_600_000 });
  let gateway: GatewayProcess;

  beforeAll(async () => {
    registerSnappy();
    const tenants = join(mkdtempSync(join(tmpdir(), 'edge-')), 'tenants.yaml');
    const digest = createHash('sha256').update(ACME_TOKEN).digest('hex');
    writeFileSync(tenants, `tokens:\n  sha256:${digest}: acme\n  ${GLOBEX_TOKEN}: globex\nclients:\n  collector.acme.example: acme\n`);
    gateway = await startGatewayProcess(
      stackSettings().KAFKA_BROKERS,
      ['--traces-topic', topic, '--partitions', '2', '--transactional-id', unique('edge-gw'), '--tls-client-ca', ca.certFile],
      {
        env: { INGEST_TENANTS: tenants, INGEST_TENANT_TOKENS: `initech=${INITECH_TOKEN}`, INGEST_TLS_CERT: server.certFile, INGEST_TLS_KEY: server.keyFile },
        ca: ca.cert,
        client: collector,
      },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const send = (body: Buffer, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1', port: gateway.httpPort, path: '/v1/traces', method: 'POST', ca: ca.cert, cert: collector.cert, key: collector.key, agent: false,
          headers: { 'Content-Type': 'application/x-protobuf', ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('puts the tenant of each credential on the records and keeps every secret out of its output', async () => {
    const batches = [traffic.encodedTraces(20).traces, traffic.encodedTraces(20).traces, traffic.encodedTraces(20).traces, traffic.encodedTraces(20).traces];
    expect(await send(batches[0])).toBe(200); // the certificate's tenant
    expect(await send(batches[1], { Authorization: `Bearer ${GLOBEX_TOKEN}` })).toBe(200); // a token decides over the certificate
    expect(await send(batches[2], { Authorization: `Bearer ${INITECH_TOKEN}` })).toBe(200); // a token from the environment
    expect(await send(batches[3], { Authorization: `Bearer ${ACME_TOKEN}` })).toBe(200); // a token stored as its digest
    expect(await send(batches[0], { Authorization: 'Bearer not-a-token-1234' })).toBe(401);
    expect(await send(batches[0], { Authorization: `Bearer ${ACME_TOKEN}`, 'X-Scope-OrgID': 'globex' })).toBe(403);

    const counts = batches.map((b) => splitTraces(b).length);
    const records = await readTopic(kafka(), topic, { count: counts.reduce((a, b) => a + b, 0) });
    const perTenant = (tenant: string) => records.filter((m) => m.headers?.tenant?.toString() === tenant).length;
    expect([perTenant('acme'), perTenant('globex'), perTenant('initech')]).toEqual([counts[0] + counts[3], counts[1], counts[2]]);

    expect(await gateway.stop()).toBe(0);
    const output = gateway.output();
    expect(output).toContain('"security":"mtls"');
    expect(output).toContain('"tenancy":"auth"');
    for (const secret of [ACME_TOKEN, GLOBEX_TOKEN, INITECH_TOKEN, 'PRIVATE KEY', server.key.toString('utf8').split('\n')[1]]) expect(output).not.toContain(secret);
  });
});
