// `otlp-streams config` prints no credential, nor any part of one, wherever it sits (keys, URLs, query strings).
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../config/index.ts';
import { configText } from './config.ts';

const SECRETS = ['Zq7xKp2Wv9', 'Hm3rT8yLc4', 'Pw6nJ1sBd5', 'Tk9eR4uQa7', 'Gb2wF5hNx8', 'Vy1cM7oZe3'];

describe('otlp-streams config', () => {
  const config = resolveConfig([
    envLayer({
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc-otlp',
      KAFKA_SASL_PASSWORD: SECRETS[0],
      SCHEMA_REGISTRY_URL: `https://registry-user:${SECRETS[1]}@registry:8081/apis/ccompat/v7`,
      SCHEMA_REGISTRY_USERNAME: 'registry-user',
      SCHEMA_REGISTRY_PASSWORD: SECRETS[2],
      PG_URL: `postgres://otlp:${SECRETS[3]}@timescaledb:5432/otlp?sslmode=require&sslpassword=${SECRETS[4]}`,
      INFLUX_URL: 'http://influxdb:8086',
      INFLUX_TOKEN: SECRETS[5],
      PROM_URL: 'http://prometheus:9090',
    }),
  ]);
  const text = configText(config);

  it('prints no part of any credential', () => {
    for (const secret of SECRETS) {
      for (let i = 0; i + 4 <= secret.length; i++) expect(text, secret).not.toContain(secret.slice(i, i + 4));
    }
  });

  it('still shows everything else', () => {
    const shown = JSON.parse(text);
    expect(shown.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc-otlp', password: '***' });
    expect(shown.schemaRegistry).toEqual({ url: 'https://registry-user:***@registry:8081/apis/ccompat/v7', username: 'registry-user', password: '***' });
    expect(shown.postgres.url).toBe('postgres://otlp:***@timescaledb:5432/otlp?sslmode=require&sslpassword=***');
    expect(shown.influx).toEqual({ url: 'http://influxdb:8086', token: '***', org: 'otlp', bucket: 'otlp' });
    expect(shown.prometheus.url).toBe('http://prometheus:9090');
    expect(shown.runtime.commitIntervalMs).toBeTypeOf('number');
  });

  it('masks credentials in the errors of an invalid configuration too', () => {
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'k:1', PG_URL: `mysql://otlp:${SECRETS[3]}@db/otlp` })])).toThrow(/postgres\.url .*got "mysql:\/\/otlp:\*\*\*@db\/otlp"/);
    let message = '';
    try {
      resolveConfig([envLayer({ KAFKA_BROKERS: 'k:1', INFLUX_URL: 'ftp://x', INFLUX_TOKEN: SECRETS[5] })]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/influx\.url/);
    expect(message).not.toContain(SECRETS[5]);
  });
});
