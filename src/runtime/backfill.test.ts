import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_TOPIC } from '../dlq/index.ts';
import { flushWindows, summary, summarySerde, tumblingWindows } from '../operators/index.ts';
import { backfillTopology, checkBackfillOptions } from './backfill.ts';
import { topology } from './dsl.ts';
import { Task } from './task.ts';

function message(offset: number, value: string, timestamp: number): KafkaMessage {
  return { key: Buffer.from('k'), value: Buffer.from(value), offset: String(offset), timestamp: String(timestamp), attributes: 0, headers: {} } as unknown as KafkaMessage;
}

// Counts per 10 s window to `counts`, records later than the grace to `live.late`, unparsable ones (a step error) to the DLQ.
const live = topology('live')
  .stream<string>({ topic: 'in', decode: (m) => [{ key: 'k', timestamp: m.timestamp, value: m.value!.toString() }] })
  .mapValues((v) => {
    if (!/^\d+$/.test(v)) throw new Error(`not a number: ${v}`);
    return Number(v);
  })
  .windowedBy(tumblingWindows(10_000))
  .aggregate(summary((v: number) => v), { store: 'counts', serde: summarySerde })
  .to('counts', { value: (r) => `${r.window.start}:${r.aggregate.count}` })
  .build();

function run(topo: typeof live, messages: KafkaMessage[]): Map<string, string[]> {
  const task = new Task(topo, 0, { deadLetterTopic: 'dlq.backfill-x' });
  task.start();
  task.process(messages, BigInt(messages.length));
  task.control(flushWindows);
  const written = new Map<string, string[]>();
  for (const [topic, records] of task.takeCheckpoint().messages) if (!topic.endsWith('-changelog')) written.set(topic, records.map((r) => String(r.value).slice(0, 40)));
  return written;
}

describe('backfillTopology', () => {
  const input = [message(0, '1', 1000), message(1, 'x', 2000), message(2, '2', 25_000), message(3, '3', 3000), message(4, '4', 12_000)];

  it('sends every Kafka record — outputs, late records, dead letters — to the backfill’s own topics', () => {
    const topo = backfillTopology(live, { application: 'live-backfill-x', topic: (t) => `${t}.backfill-x` });
    expect(topo.application).toBe('live-backfill-x');
    expect(topo.outputs.map((o) => o.topic).sort()).toEqual(['counts.backfill-x', 'live.late.backfill-x']);
    const written = run(topo, input);
    expect([...written.keys()].sort()).toEqual(['counts.backfill-x', 'live.late.backfill-x', `${DLQ_TOPIC}.backfill-x`].sort());
    // The same records as the live topology writes, under the other names.
    const asLive = run(live, input);
    for (const [topic, values] of asLive) expect(written.get(`${topic}.backfill-x`)).toEqual(values);
  });

  it('keeps only items whose event time is in [from, to), and counts the others', () => {
    const skipped = { items: 0 };
    const topo = backfillTopology(live, { application: 'b', topic: (t) => t, eventTime: { from: 2000, to: 20_000 }, skipped });
    const written = run(topo, input);
    expect(written.get('counts')).toEqual(['0:1', '10000:1']);
    expect(skipped.items).toBe(2);
  });
});

describe('checkBackfillOptions', () => {
  it('needs a range, of either kind', () => {
    expect(() => checkBackfillOptions({})).toThrow('backfill: give a range');
    expect(() => checkBackfillOptions({ fromEventTime: 0 })).not.toThrow();
    expect(() => checkBackfillOptions({ from: 10, to: 10 })).toThrow('--to (1970-01-01T00:00:00.010Z) must be after --from');
    expect(() => checkBackfillOptions({ fromEventTime: 10, toEventTime: 5 })).toThrow('--to-event-time');
  });

  it('takes a topic suffix or the live topics, not both, and only a suffix that can name topics', () => {
    expect(() => checkBackfillOptions({ from: 0, outputTopicSuffix: '.replay', allowLiveTopics: true })).toThrow('exclude each other');
    expect(() => checkBackfillOptions({ from: 0, outputTopicSuffix: '' })).toThrow('may only use letters');
    expect(() => checkBackfillOptions({ from: 0, outputTopicSuffix: 'a/b' })).toThrow('may only use letters');
    expect(() => checkBackfillOptions({ from: 0, outputTopicSuffix: '.replay-1' })).not.toThrow();
  });
});
