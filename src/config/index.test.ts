import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envLayer, fileLayer, resolveConfig, RUNTIME_DEFAULTS, stackLayer } from './index.ts';
import { kafkaClientConfig } from './kafka.ts';

function tmpFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), name);
  writeFileSync(file, text);
  return file;
}

describe('config loader', () => {
  it('reads the environment with defaults filled in', () => {
    const config = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:9092, b:9093', PG_URL: 'postgres://u@h:5432/db', KAFKA_TLS: 'true' })]);
    expect(config.kafka).toEqual({ brokers: ['a:9092', 'b:9093'], clientId: 'otlp-streams', tls: { enabled: true, rejectUnauthorized: true } });
    expect(config.postgres?.url).toBe('postgres://u@h:5432/db');
  });

  it('lets the environment win over a file, and a file over the local stack', () => {
    const file = tmpFile('c.yaml', 'kafka:\n  brokers: [file:1]\n  clientId: from-file\nprometheus:\n  url: http://file:9090\n');
    const config = resolveConfig([
      stackLayer({ kafka: { brokers: ['stack:1'] }, prometheus: { url: 'http://stack:9090' }, postgres: { url: 'postgres://stack/db' } }),
      fileLayer(file),
      envLayer({ KAFKA_BROKERS: 'env:1' }),
    ]);
    expect(config.kafka.brokers).toEqual(['env:1']);
    expect(config.kafka.clientId).toBe('from-file');
    expect(config.prometheus?.url).toBe('http://file:9090');
    expect(config.postgres?.url).toBe('postgres://stack/db');
  });

  it.each([
    [{ KAFKA_BROKERS: 'nohostport' }, 'kafka.brokers.0 (from env KAFKA_BROKERS): expected host:port; got "nohostport"'],
    [{ KAFKA_BROKERS: 'a:1', PG_URL: 'mysql://x' }, 'postgres.url (from env PG_URL): expected a postgres:// URL'],
    [{ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'kafka.sasl.mechanism (from env KAFKA_SASL_MECHANISM)'],
    [{ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'plain' }, 'kafka.sasl.username'],
    [{ KAFKA_BROKERS: 'a:1', VM_URL: 'ftp://x' }, 'victoriaMetrics.url (from env VM_URL): expected an http(s) URL'],
    [{ KAFKA_BROKERS: 'a:1', KAFKA_TLS: 'maybe' }, 'kafka.tls.enabled (from env KAFKA_TLS)'],
    [{}, 'kafka (from default)'],
  ])('fails fast on %o, naming the key and its source', (env, message) => {
    expect(() => resolveConfig([envLayer(env)])).toThrow(ConfigError);
    expect(() => resolveConfig([envLayer(env)])).toThrow(message);
  });

  it('reads the runtime section from the environment as numbers, and names a bad value', () => {
    const config = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', COMMIT_INTERVAL_MS: '250', MAX_UNCOMMITTED_RECORDS: '5000' })]);
    expect(config.runtime).toEqual({ ...RUNTIME_DEFAULTS, commitIntervalMs: 250, maxUncommittedRecords: 5000 });
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', COMMIT_INTERVAL_MS: '100ms' })])).toThrow('runtime.commitIntervalMs (from env COMMIT_INTERVAL_MS): expected a number of ms; got "100ms"');
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', COMMIT_INTERVAL_MS: '-5' })])).toThrow('expected ms ≥ 0 (0: commit every batch); got -5');
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', MAX_UNCOMMITTED_BYTES: '12' })])).toThrow('runtime.maxUncommittedBytes (from env MAX_UNCOMMITTED_BYTES): expected at least 1024 bytes');
  });

  it('rejects unknown keys in a file, naming the file', () => {
    const file = tmpFile('bad.yaml', 'kafka:\n  brokers: [a:1]\n  brokerz: [b:1]\n');
    expect(() => resolveConfig([fileLayer(file)])).toThrow(`(from file ${file})`);
    expect(() => resolveConfig([fileLayer(file)])).toThrow('brokerz');
  });

  it('reports a missing or malformed file clearly', () => {
    expect(() => fileLayer('/nonexistent/otlp.yaml')).toThrow('config file /nonexistent/otlp.yaml does not exist');
    expect(() => fileLayer(tmpFile('x.yaml', 'kafka: [unclosed'))).toThrow('is not valid YAML/JSON');
  });

  it('reads the gateway credentials and TLS files, masking inline tokens and checking what goes together', () => {
    const config = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', INGEST_TENANTS: '/etc/t.yaml', INGEST_TENANT_TOKENS: 'acme=Rt6yU8iO0pAs', INGEST_TLS_CERT: 'c.pem', INGEST_TLS_KEY: 'k.pem' })]);
    expect(config.ingest).toEqual({ tenants: '/etc/t.yaml', tenantTokens: 'acme=Rt6yU8iO0pAs', tls: { cert: 'c.pem', key: 'k.pem' } });
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', INGEST_TLS_CERT: 'c.pem' })])).toThrow('ingest.tls.key (from default): needed with cert and clientCa; got nothing');
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', INGEST_TLS_CLIENT_CA: 'ca.pem' })])).toThrow('ingest.tls.cert (from default): needed with key and clientCa; got nothing');
    let message = '';
    try {
      resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', INGEST_TENANT_TOKENS: 'Gh7jK9lZ1xCv' })]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ingest.tenantTokens (from env INGEST_TENANT_TOKENS): expected tenant=token pairs');
    expect(message).not.toContain('Gh7j');
  });

  it('builds kafkajs options with SASL', () => {
    const config = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })]);
    expect(kafkaClientConfig(config)).toMatchObject({ brokers: ['a:1'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
  });
});
