import { describe, expect, it } from 'vitest';
import { parseCredentials } from './credentials.ts';
import { defaultGatewayOptions, maxRequestRecordBytes, tenantMaxInflightBytes, validateGatewayOptions } from './options.ts';

describe('gateway options', () => {
  it('accepts the defaults', () => {
    expect(() => validateGatewayOptions(defaultGatewayOptions())).not.toThrow();
  });
  it('derives the records limit from the body limit unless given', () => {
    const d = defaultGatewayOptions();
    expect(maxRequestRecordBytes({ ...d, maxBodyBytes: 1000 })).toBe(4000);
    expect(maxRequestRecordBytes({ ...d, maxRequestRecordBytes: 123 })).toBe(123);
  });
  it('gives every instance its own transactional id, so replicas never fence each other', () => {
    const ids = Array.from({ length: 50 }, () => defaultGatewayOptions().transactionalId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(new RegExp(`^otlp-streams-ingest-.+-${process.pid}-[0-9a-f]{8}$`));
  });
  it('names the option that is wrong', () => {
    const d = defaultGatewayOptions();
    expect(() => validateGatewayOptions({ ...d, partitions: 0 })).toThrow(/partitions/);
    expect(() => validateGatewayOptions({ ...d, maxInflightBytes: d.maxBodyBytes })).toThrow(/maxInflightBytes .* twice maxBodyBytes/);
    expect(() => validateGatewayOptions({ ...d, grpcPort: d.httpPort })).toThrow(/both/);
    expect(() => validateGatewayOptions({ ...d, partitioner: 'crc32' as never })).toThrow(/murmur2 or sarama_compat/);
    expect(() => validateGatewayOptions({ ...d, maxRequestItems: 0 })).toThrow(/maxRequestItems/);
    expect(() => validateGatewayOptions({ ...d, maxRequestRecordBytes: -1 })).toThrow(/maxRequestRecordBytes/);
  });

  it('gives each tenant a quarter of the in-flight budget by default, never less than two bodies', () => {
    const d = defaultGatewayOptions();
    expect(tenantMaxInflightBytes(d)).toBe(d.maxInflightBytes / 4);
    expect(tenantMaxInflightBytes({ maxInflightBytes: 100, maxBodyBytes: 40 })).toBe(80);
    expect(tenantMaxInflightBytes({ maxInflightBytes: 100, maxBodyBytes: 50 })).toBe(100);
    expect(() => validateGatewayOptions({ ...d, tenantMaxInflightBytes: d.maxBodyBytes })).toThrow(/tenantMaxInflightBytes .* twice maxBodyBytes/);
    expect(() => validateGatewayOptions({ ...d, tenantMaxInflightBytes: d.maxInflightBytes + 1 })).toThrow(/must not exceed maxInflightBytes/);
    expect(() => validateGatewayOptions({ ...d, tenantItemsPerSecond: 0 })).toThrow(/tenantItemsPerSecond/);
    expect(() => validateGatewayOptions({ ...d, maxTenants: 0 })).toThrow(/maxTenants/);
    const small = { mode: 'auth', credentials: parseCredentials({ tokens: { Jk8lP0oI2uYt: 'a' }, limits: { a: { maxInflightBytes: 1024 } } }, 'test') } as const;
    expect(() => validateGatewayOptions({ ...d, tenancy: small })).toThrow(/limits.a.maxInflightBytes \(1024\) must be at least twice maxBodyBytes/);
  });
  it('wants a client CA when the tenants file maps client certificates', () => {
    const d = defaultGatewayOptions();
    const tenancy = { mode: 'auth', credentials: parseCredentials({ clients: { 'a.example': 'a' } }, 'test') } as const;
    expect(() => validateGatewayOptions({ ...d, tenancy })).toThrow(/needs a client CA/);
    const pem = Buffer.from('-');
    expect(() => validateGatewayOptions({ ...d, tenancy, tls: { cert: pem, key: pem, clientCa: pem } })).not.toThrow();
  });
});
