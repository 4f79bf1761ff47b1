import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { topology } from './dsl.ts';
import { afterLogStart, commitDue, placeBatch, positionAfterFiltered, Task, type CommitPolicy } from './task.ts';

const policy: CommitPolicy = { intervalMs: 100, maxRecords: 10, maxBytes: 1000 };
const none = { records: 0, bytes: 0 };

function message(offset: number, value: string): KafkaMessage {
  return { key: Buffer.from('k'), value: Buffer.from(value), offset: String(offset), timestamp: String(1_700_000_000_000 + offset), attributes: 0, headers: {} } as KafkaMessage;
}

function identityTask(): Task {
  const topo = topology('t')
    .stream<string>({ topic: 'in', decode: (m) => [{ key: m.key?.toString() ?? null, timestamp: m.timestamp, value: m.value!.toString() }] })
    .to('out', { value: (v) => v })
    .build();
  return new Task(topo, 0);
}

describe('commit policy', () => {
  it('commits nothing without pending work', () => {
    expect(commitDue(policy, undefined, none, 1e9)).toBe(false);
    expect(commitDue({ ...policy, intervalMs: 0 }, undefined, none, 1e9)).toBe(false);
  });

  it('commits once the oldest pending work is an interval old', () => {
    expect(commitDue(policy, 1000, none, 1099)).toBe(false);
    expect(commitDue(policy, 1000, none, 1100)).toBe(true);
  });

  it('commits every batch with interval 0', () => {
    expect(commitDue({ ...policy, intervalMs: 0 }, 1000, none, 1000)).toBe(true);
  });

  it('commits early when uncommitted records or bytes reach their bounds', () => {
    expect(commitDue(policy, 1000, { records: 9, bytes: 999 }, 1001)).toBe(false);
    expect(commitDue(policy, 1000, { records: 10, bytes: 0 }, 1001)).toBe(true);
    expect(commitDue(policy, 1000, { records: 0, bytes: 1000 }, 1001)).toBe(true);
  });
});

describe('batch placement against the task position', () => {
  const fresh = { at: -1n, count: 0 };

  it('processes batches fetched at or before the position', () => {
    expect(placeBatch(100n, 100n, fresh)).toBe('process');
    expect(placeBatch(100n, 40n, fresh)).toBe('process');
  });

  it('seeks back when a batch starts past the position (kafkajs ran ahead of a restored task)', () => {
    expect(placeBatch(100n, 101n, fresh)).toBe('seek');
    expect(placeBatch(100n, 500n, { at: 100n, count: 2 })).toBe('seek');
    // a gap at another position does not count
    expect(placeBatch(100n, 500n, { at: 90n, count: 9 })).toBe('seek');
  });

  it('asks where the log starts when a gap comes back after several seeks', () => {
    expect(placeBatch(100n, 500n, { at: 100n, count: 3 })).toBe('check-log');
  });

  it('skips only records that are gone from the log', () => {
    // retention removed [100, 400): the task moves to the log start (and seeks there if the batch starts later)
    expect(afterLogStart(100n, 400n)).toBe(400n);
    // the records are still there: never skip them, however often kafkajs comes back past them
    expect(afterLogStart(100n, 100n)).toBe(100n);
    expect(afterLogStart(100n, 0n)).toBe(100n);
  });
});

describe('position after a batch kafkajs filtered out entirely', () => {
  it('moves past a batch of markers that starts at the position', () => {
    expect(positionAfterFiltered(100n, '100', '100')).toBe(101n);
    expect(positionAfterFiltered(100n, '98', '104')).toBe(105n);
  });

  it('stays for a batch that starts past the position or lies before it', () => {
    expect(positionAfterFiltered(100n, '101', '101')).toBe(100n);
    expect(positionAfterFiltered(100n, '50', '60')).toBe(100n);
    expect(positionAfterFiltered(100n, null, '100')).toBe(100n);
  });
});

describe('task', () => {
  it('skips records below its position and tracks pending work until a checkpoint', () => {
    const task = identityTask();
    task.nextOffset = 5n;
    task.start();
    expect(task.position).toBe(5n);
    expect(task.hasPendingWork()).toBe(false);

    task.process([message(3, 'a'), message(4, 'b'), message(5, 'c'), message(6, 'd')], 7n);
    expect(task.position).toBe(7n);
    expect(task.stats.recordsIn).toBe(2);
    expect(task.pending().records).toBe(2);
    expect(task.pending().bytes).toBeGreaterThan(0);

    // delivered again (after a rebalance or a seek): nothing new
    task.process([message(5, 'c'), message(6, 'd')], 7n);
    expect(task.stats.recordsIn).toBe(2);

    // a batch ending in filtered records (a transaction marker at 9) moves the position past them
    task.process([message(7, 'e'), message(8, 'f')], 10n);
    expect(task.position).toBe(10n);

    const checkpoint = task.takeCheckpoint();
    expect(checkpoint.nextOffset).toBe(10n);
    expect(checkpoint.messages.get('out')?.map((m) => m.value?.toString())).toEqual(['c', 'd', 'e', 'f']);
    expect(task.pending()).toEqual({ records: 0, bytes: 0 });
    // the offsets still wait for their transaction
    expect(task.hasPendingWork()).toBe(true);
    task.nextOffset = checkpoint.nextOffset;
    expect(task.hasPendingWork()).toBe(false);
  });

  it('runs exclusive sections one at a time, in call order, even when one fails', async () => {
    const task = identityTask();
    const log: string[] = [];
    const section = (name: string, ms: number, fail = false) =>
      task.exclusive(async () => {
        log.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}:end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('batch', 20), section('timer', 1, true), section('stop', 5)]);
    expect(log).toEqual(['batch:start', 'batch:end', 'timer:start', 'timer:end', 'stop:start', 'stop:end']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
