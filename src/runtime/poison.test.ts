import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../config/index.ts';
import { DLQ_HEADERS } from '../dlq/index.ts';
import { flushWindows, summary, summarySerde, tumblingWindows } from '../operators/index.ts';
import { topology } from './dsl.ts';
import { PoisonRecords, RecordError } from './poison.ts';
import { Task } from './task.ts';

describe('PoisonRecords', () => {
  it('gives a record up after maxAttempts failures in a row at its offset', () => {
    const poison = new PoisonRecords(3);
    expect(poison.failed(0, '7', 'e1', 0n)).toBeUndefined();
    expect(poison.failed(0, '7', 'e2', 0n)).toBeUndefined();
    expect(poison.of(0)).toBeUndefined();
    expect(poison.failed(0, '7', 'e3', 0n)).toEqual({ error: 'e3', attempts: 3 });
    expect(poison.of(0)).toEqual(new Map([['7', { error: 'e3', attempts: 3 }]]));
    expect(poison.of(1)).toBeUndefined();
  });

  it('counts failures in a row: one at another offset or partition starts the count again', () => {
    const poison = new PoisonRecords(2);
    expect(poison.failed(0, '7', 'e', 0n)).toBeUndefined();
    expect(poison.failed(0, '8', 'e', 0n)).toBeUndefined();
    expect(poison.failed(1, '7', 'e', 0n)).toBeUndefined();
    expect(poison.failed(0, '7', 'e', 0n)).toBeUndefined();
    expect(poison.failed(0, '7', 'e', 0n)).toEqual({ error: 'e', attempts: 2 });
  });

  it('forgets records given up once the committed offset has passed them', () => {
    const poison = new PoisonRecords(1);
    poison.failed(0, '7', 'e', 0n);
    poison.failed(0, '20', 'e', 10n);
    expect([...poison.of(0)!.keys()]).toEqual(['20']);
  });

  it('refuses a bound below one attempt', () => {
    expect(() => new PoisonRecords(0)).toThrow('maxRecordAttempts: expected a whole number ≥ 1, got 0');
  });

  it('takes its bound from the config’s runtime section (MAX_RECORD_ATTEMPTS)', () => {
    expect(resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', MAX_RECORD_ATTEMPTS: '5' })]).runtime?.maxRecordAttempts).toBe(5);
    expect(() => resolveConfig([envLayer({ KAFKA_BROKERS: 'a:1', MAX_RECORD_ATTEMPTS: '0' })])).toThrow('runtime.maxRecordAttempts (from env MAX_RECORD_ATTEMPTS): expected at least 1');
  });
});

function message(offset: number, value: number): KafkaMessage {
  return { key: Buffer.from(`k${offset % 3}`), value: Buffer.from(String(value)), offset: String(offset), timestamp: String(offset * 100), attributes: 0, headers: { tenant: Buffer.from('a') } } as unknown as KafkaMessage;
}

/** Counts per key and second; the aggregator throws on negative values (a bug no replay fixes). */
const counting = topology('poison-test')
  .stream<number>({ topic: 'in', decode: (m) => [{ key: m.key!.toString(), timestamp: m.timestamp, value: Number(m.value!.toString()) }] })
  .windowedBy(tumblingWindows(1000))
  .aggregate(
    summary((v: number) => {
      if (v < 0) throw new TypeError(`negative value ${v}`);
      return v;
    }),
    { store: 'counts', serde: summarySerde },
  )
  .to('out', { key: (r) => `${r.key}@${r.window.start}`, value: (r) => String(r.aggregate.count) })
  .build();

describe('a record that makes the pipeline throw', () => {
  it('fails its task maxAttempts times, then goes to the dead-letter topic with its error while every other record counts (oracle: counts without those records)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2, max: 20 }), { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (values, maxAttempts) => {
        const messages = values.map((v, i) => message(i, v));
        const poison = new PoisonRecords(maxAttempts);
        // The worker's loop: a failing task is discarded, and a new one restores (nothing committed here) and replays.
        let failures = 0;
        let task: Task;
        for (;;) {
          task = new Task(counting, 0, { deadLetterTopic: 'dlq', poisoned: poison.of(0) });
          task.start();
          try {
            task.process(messages, BigInt(messages.length));
            task.control(flushWindows);
            break;
          } catch (err) {
            expect(err).toBeInstanceOf(RecordError);
            const { offset, cause } = err as RecordError;
            expect(values[Number(offset)]).toBeLessThan(0);
            poison.failed(0, offset, cause, 0n);
            failures++;
          }
        }
        const poisoned = values.flatMap((v, i) => (v < 0 ? [i] : []));
        expect(failures).toBe(poisoned.length * maxAttempts);
        const checkpoint = task.takeCheckpoint();
        const dead = checkpoint.messages.get('dlq') ?? [];
        expect(dead.map((d) => d.headers![DLQ_HEADERS.sourceOffset])).toEqual(poisoned.map(String));
        for (const d of dead) {
          expect(d.headers).toMatchObject({ [DLQ_HEADERS.attempts]: String(maxAttempts), [DLQ_HEADERS.errorType]: 'TypeError', tenant: Buffer.from('a') });
          expect(d.headers![DLQ_HEADERS.error]).toMatch(/^processor window counts at in-0@\d+: negative value -\d$/);
        }
        const counts = new Map<string, number>();
        values.forEach((v, i) => {
          if (v < 0) return;
          const id = `k${i % 3}@${Math.floor((i * 100) / 1000) * 1000}`;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        });
        const out = new Map((checkpoint.messages.get('out') ?? []).map((r) => [String(r.key), Number(r.value)]));
        expect(out).toEqual(counts);
      }),
      { numRuns: 60 },
    );
  });
});
