import { describe, expect, it } from 'vitest';
import { defaultGatewayOptions, validateGatewayOptions } from './options.ts';

describe('gateway options', () => {
  it('accepts the defaults', () => {
    expect(() => validateGatewayOptions(defaultGatewayOptions())).not.toThrow();
  });
  it('names the option that is wrong', () => {
    const d = defaultGatewayOptions();
    expect(() => validateGatewayOptions({ ...d, partitions: 0 })).toThrow(/partitions/);
    expect(() => validateGatewayOptions({ ...d, maxInflightBytes: d.maxBodyBytes })).toThrow(/maxInflightBytes .* twice maxBodyBytes/);
    expect(() => validateGatewayOptions({ ...d, grpcPort: d.httpPort })).toThrow(/both/);
    expect(() => validateGatewayOptions({ ...d, partitioner: 'crc32' as never })).toThrow(/murmur2 or sarama_compat/);
  });
});
