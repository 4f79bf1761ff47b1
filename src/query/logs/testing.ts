// Test helpers: log records through the real log_index processor (in memory), applied to a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offlineLogIndexCodec } from '../../logs/indexRecord.ts';
import { logIndex, type LogIndexOptions } from '../../operators/logs/logIndex.ts';
import { flushWindows } from '../../operators/taskEvent.ts';
import { encodeLogs, type LogRecord } from '../../otlp/index.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { otlpLogs } from '../../sources/otlp.ts';
import { openQueryStore, type QueryStore } from '../store.ts';
import { applyLogBlockRecord, applyLogIndexRecord } from './apply.ts';
import { LogSearch } from './search.ts';
import { openLogStore, type LogStore } from './store.ts';

export type Records = { key: string; value: Buffer | null }[];

/** Log records (with tenants) through log_index, `batch` records per input record; the written blocks and index records. */
export function indexLogs(input: ReadonlyArray<{ tenant?: string; record: LogRecord }>, options: Partial<LogIndexOptions> = {}, batch = 7): { blocks: Records; index: Records } {
  const definition = logIndex({
    store: 'logs',
    blocksTopic: 'blocks',
    indexTopic: 'index',
    blockMs: 60_000,
    flushIntervalMs: 10_000,
    maxSegmentRecords: 64,
    retentionMs: 365 * 86_400_000,
    patterns: {},
    codec: offlineLogIndexCodec(),
    ...options,
  });
  const driver = new TopologyTestDriver(topology('logs').stream(otlpLogs('in')).process(definition).build(), { now: () => 4_000_000_000_000 });
  for (let i = 0; i < input.length; ) {
    const tenant = input[i].tenant;
    const group: LogRecord[] = [];
    while (i < input.length && input[i].tenant === tenant && group.length < batch) group.push(input[i++].record);
    driver.pipe([{ key: 'resource', value: encodeLogs(group), headers: tenant ? { tenant } : {} }]);
    if (i % (batch * 5) === 0) driver.commit();
  }
  driver.task.control(flushWindows);
  driver.commit();
  const records = (topic: string) => driver.records(topic).map((r) => ({ key: String(r.key), value: (r.value as Buffer | null) ?? null }));
  return { blocks: records('blocks'), index: records('index') };
}

/** A store in a temporary directory and the log search over it; `close` removes it. */
export function tempLogStore(): { store: QueryStore; logs: LogStore; search: LogSearch; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'log-store-'));
  const store = openQueryStore(dir);
  const logs = openLogStore(store.root);
  return {
    store,
    logs,
    search: new LogSearch(logs),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Applies written records to the store, blocks first (as a replica that reads both topics may see them). */
export function applyLogs(store: QueryStore, logs: LogStore, written: { blocks: Records; index: Records }): void {
  const codec = offlineLogIndexCodec();
  store.root.transactionSync(() => {
    for (const r of written.blocks) applyLogBlockRecord(logs, r.key, r.value);
    for (const r of written.index) applyLogIndexRecord(logs, codec, r.key, r.value);
  });
}
