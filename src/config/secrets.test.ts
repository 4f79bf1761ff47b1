// Masking: a table of texts with credentials, and values under secret keys at any depth.
import { describe, expect, it } from 'vitest';
import { maskSecrets, maskText, registerSecret } from './secrets.ts';

describe('maskText', () => {
  it.each([
    ['postgres://user:Zq7xKp2W@db:5432/otlp', 'postgres://user:***@db:5432/otlp'],
    ['postgresql://user:p@ss:w@rd@db/otlp?sslmode=require', 'postgresql://user:***@db/otlp?sslmode=require'],
    ['https://reg:Zq7xKp2W@registry:8081/apis', 'https://reg:***@registry:8081/apis'],
    ['connect to amqp://guest:guest@mq failed; retry postgres://a:b@c', 'connect to amqp://guest:***@mq failed; retry postgres://a:***@c'],
    ['postgres://db/otlp?user=u&password=Zq7xKp2W&sslmode=verify', 'postgres://db/otlp?user=u&password=***&sslmode=verify'],
    ['http://influx/api?token=Zq7xKp2W', 'http://influx/api?token=***'],
    ['https://x/cb?access_token=abc.def&sslpassword=pp&api-key=k1', 'https://x/cb?access_token=***&sslpassword=***&api-key=***'],
    ['Authorization: Bearer eyJhbGciOi.J9.xyz', 'Authorization: Bearer ***'],
    ['basic auth: Basic dXNlcjpwYXNz', 'basic auth: Basic ***'],
    // In a JSON line the password ends at the closing quote, never running into the next field.
    ['{"url":"postgres://u:pw@h/db","other":"a@b"}', '{"url":"postgres://u:***@h/db","other":"a@b"}'],
    ['{"u":"http://h/?token=abc","n":1}', '{"u":"http://h/?token=***","n":1}'],
    // Nothing to mask.
    ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/postgres'],
    ['kafka:9092, http://prometheus:9090/api/v1/write?x=1', 'kafka:9092, http://prometheus:9090/api/v1/write?x=1'],
    ['user@example.com wrote a:b', 'user@example.com wrote a:b'],
  ])('%s', (text, masked) => {
    expect(maskText(text)).toBe(masked);
  });

  it('removes registered secrets wherever they appear, whole', () => {
    registerSecret('tok-5uDf9a2LqX');
    registerSecret('tok-5uDf9a2LqX-longer');
    registerSecret('short'); // too short to register: it would mask ordinary words
    expect(maskText('bad token tok-5uDf9a2LqX-longer or tok-5uDf9a2LqX; short')).toBe('bad token *** or ***; short');
  });
});

describe('maskSecrets', () => {
  it('masks values under secret keys at any depth and every string', () => {
    const err = Object.assign(new Error('cannot reach postgres://u:Zq7xKp2W@db'), { code: 'ECONNREFUSED' });
    const masked = maskSecrets({
      kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'svc', password: 'Zq7xKp2W' } },
      schemaRegistry: { url: 'https://reg:Zq7xKp2W@r', password: 'Zq7xKp2W' },
      influx: { token: 'Zq7xKp2W', org: 'o' },
      headers: { Authorization: 'Bearer Zq7xKp2W', 'x-api-key': 'Zq7xKp2W', cookie: 'sid=Zq7xKp2W' },
      tokens: new Map([['Zq7xKp2W', 'acme']]),
      clientSecret: 'Zq7xKp2W',
      emptyPassword: '',
      err,
    }) as Record<string, Record<string, unknown>>;
    expect(JSON.stringify(masked)).not.toContain('Zq7xKp2W');
    expect(masked.kafka.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: '***' });
    expect(masked.kafka.brokers).toEqual(['k:9092']);
    expect(masked.influx).toEqual({ token: '***', org: 'o' });
    expect(masked.emptyPassword).toBe('');
    expect(masked.err).toMatchObject({ type: 'Error', message: 'cannot reach postgres://u:***@db', code: 'ECONNREFUSED' });
  });

  it('cuts cycles and leaves the input untouched', () => {
    const a: Record<string, unknown> = { password: 'Zq7xKp2W', url: 'http://u:p@h' };
    a.self = a;
    expect(maskSecrets(a)).toEqual({ password: '***', url: 'http://u:***@h', self: '[Circular]' });
    expect(a.password).toBe('Zq7xKp2W');
  });
});
