// The Processor API on the real broker: the dedup processor's key-value store is changelogged, restored by the next
// worker, and the output topic (read committed) equals brute force over the same input.
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { deduplicate } from '../../src/operators/index.ts';
import { changelogTopic, topology, Worker } from '../../src/runtime/index.ts';
import { KEEP_RECORDS } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, stackSettings, unique } from '../helpers/stack.ts';

const HORIZON = 2_000;
const PARTITIONS = 3;

interface Input {
  key: string;
  partition: number;
  timestamp: number;
  value: string;
}

/** Ids repeat often and out of order; each id lives on one partition. */
function input(from: number, count: number, base: number): Input[] {
  let state = 99 + from;
  const rand = () => ((state = Math.imul(state ^ (state >>> 15), 2246822507) ^ Math.imul(state ^ (state >>> 13), 3266489909)) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, (_, i) => {
    const id = Math.floor(rand() * 60);
    return { key: `id${id}`, partition: id % PARTITIONS, timestamp: base + (from + i) * 10 - Math.floor(rand() * 500), value: String(from + i) };
  });
}

/** Brute force per partition: stream time is the partition's running max; an id passes unless it passed within the horizon. */
function oracle(records: Input[]): string[] {
  const out: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const passedAt = new Map<string, number>();
    let streamTime = -Infinity;
    for (const r of records.filter((x) => x.partition === p)) {
      streamTime = Math.max(streamTime, r.timestamp);
      const at = passedAt.get(r.key);
      if (at !== undefined && at + HORIZON > streamTime) continue;
      passedAt.set(r.key, streamTime);
      out.push(r.value);
    }
  }
  return out.sort();
}

describe('runtime: a processor with a key-value store', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('deduplicates exactly, and the next worker resumes from the restored store', async () => {
    const client = kafka();
    const source = await createTopic('dedup-in', PARTITIONS, KEEP_RECORDS);
    const output = await createTopic('dedup-out', PARTITIONS, KEEP_RECORDS);
    const application = unique('dedup');
    const build = () =>
      topology(application)
        .stream<string>({ topic: source, decode: (m) => [{ key: m.key!.toString(), timestamp: m.timestamp, value: m.value!.toString() }] })
        .process(deduplicate<string>({ store: 'ids', horizon: HORIZON }))
        .to(output, { value: (v) => v })
        .build();
    const config = resolveConfig([envLayer(stackSettings())]);
    const base = Date.UTC(2026, 0, 1);
    const first = input(0, 3_000, base);
    const second = input(3_000, 3_000, base);

    await produceRecords(client, source, first);
    const a = new Worker({ topology: build(), config });
    await a.start();
    const afterFirst = oracle(first);
    const seenFirst = await readTopic(client, output, { count: afterFirst.length, timeoutMs: 60_000 });
    await a.stop();
    expect(seenFirst.map((m) => m.value!.toString()).sort()).toEqual(afterFirst);

    // A second worker restores the ids from the changelog and the stream time from the committed offsets.
    await produceRecords(client, source, second);
    const b = new Worker({ topology: build(), config });
    cleanups.push(() => b.stop());
    await b.start();
    const expected = oracle([...first, ...second]);
    // one more than expected is waited for, to catch duplicates
    const all = await readTopic(client, output, { count: expected.length + 1, timeoutMs: 10_000 });
    expect(all.map((m) => m.value!.toString()).sort()).toEqual(expected);

    // Each task's stream time is committed as its offset's metadata.
    const admin = client.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: application, topics: [source] });
    await admin.disconnect();
    for (const p of offsets.partitions) expect((p as { metadata?: string }).metadata).toMatch(/^st=\d+$/);

    const changelog = await readTopic(client, changelogTopic(application, 'ids'), { quietMs: 1500 });
    expect(changelog.length).toBeGreaterThan(0);
  });
});
