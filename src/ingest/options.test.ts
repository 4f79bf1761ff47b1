import { describe, expect, it } from 'vitest';
import { defaultGatewayOptions, maxRequestRecordBytes, validateGatewayOptions } from './options.ts';

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
});
