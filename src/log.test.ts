// Every log line masks credentials: secret keys at any depth, URL passwords, bearer tokens, registered secrets,
// in the logged object, the message, child bindings and errors.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { registerSecret } from './config/index.ts';
import { createLogger } from './log.ts';

function capture(): { lines: () => string[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('logger', () => {
  it('masks URL passwords, secret keys, tokens and registered secrets, and keeps the rest', async () => {
    const { stream, lines } = capture();
    const log = createLogger(stream, 'debug').child({ component: 'test', registryUrl: 'https://reg:Hm3rT8yLc4@registry' });
    registerSecret('Tk9eR4uQa7-tenant-token');
    log.info({ url: 'postgres://otlp:Zq7xKp2Wv9@db:5432/otlp', sasl: { username: 'svc', password: 'Pw6nJ1sBd5' }, schemaRegistryPassword: 'Gb2wF5hNx8' }, 'connecting');
    log.warn(`request with Authorization: Bearer Vy1cM7oZe3 from postgres://a:Zq7xKp2Wv9@db refused`);
    log.error({ err: new Error('password authentication failed for postgres://otlp:Zq7xKp2Wv9@db') }, 'sink down');
    log.debug({ headers: { authorization: 'Bearer Vy1cM7oZe3' }, token: 'Tk9eR4uQa7-tenant-token' }, 'unknown tenant token Tk9eR4uQa7-tenant-token');
    await new Promise((r) => setImmediate(r));

    const out = lines();
    expect(out).toHaveLength(4);
    for (const secret of ['Zq7xKp2Wv9', 'Hm3rT8yLc4', 'Pw6nJ1sBd5', 'Gb2wF5hNx8', 'Vy1cM7oZe3', 'Tk9eR4uQa7']) expect(out.join('\n')).not.toContain(secret);

    const [first, second, third, fourth] = out.map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      component: 'test', registryUrl: 'https://reg:***@registry', msg: 'connecting',
      url: 'postgres://otlp:***@db:5432/otlp', sasl: { username: 'svc', password: '***' }, schemaRegistryPassword: '***',
    });
    expect(second.msg).toBe('request with Authorization: Bearer *** from postgres://a:***@db refused');
    expect(third.err).toMatchObject({ type: 'Error', message: 'password authentication failed for postgres://otlp:***@db' });
    expect(third.err.stack).toContain('password authentication failed for postgres://otlp:***@db');
    expect(fourth).toMatchObject({ headers: { authorization: '***' }, token: '***', msg: 'unknown tenant token ***' });
  });
});
