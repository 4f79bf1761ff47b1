import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../config/index.ts';
import { topology } from './dsl.ts';
import { DEFAULT_COMMIT_INTERVAL_MS, Worker } from './worker.ts';

const identity = topology('policy-test')
  .stream<string>({ topic: 'in', decode: (m) => [{ key: null, timestamp: m.timestamp, value: String(m.value) }] })
  .to('out')
  .build();

describe('worker commit policy', () => {
  it('takes the options first, then the config’s runtime section, then the defaults', () => {
    const bare = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1' })]);
    expect(new Worker({ topology: identity, config: bare }).policy).toEqual({ intervalMs: DEFAULT_COMMIT_INTERVAL_MS, maxRecords: 20_000, maxBytes: 8 << 20 });

    const config = resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', COMMIT_INTERVAL_MS: '0', MAX_UNCOMMITTED_BYTES: '65536' })]);
    expect(new Worker({ topology: identity, config }).policy).toEqual({ intervalMs: 0, maxRecords: 20_000, maxBytes: 65_536 });
    expect(new Worker({ topology: identity, config, commitIntervalMs: 250, maxUncommittedRecords: 10 }).policy).toEqual({ intervalMs: 250, maxRecords: 10, maxBytes: 65_536 });
  });
});
