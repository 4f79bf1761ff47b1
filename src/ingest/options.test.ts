import { describe, expect, it } from 'vitest';
import { defaultGatewayOptions, validateGatewayOptions } from './options.ts';

describe('gateway options', () => {
  it('accepts the defaults', () => {
    expect(() => validateGatewayOptions(defaultGatewayOptions())).not.toThrow();
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
  });
});
