// Pipeline health read from a real runtime metrics server (runtimeMetrics + serveMetrics, as a worker runs them).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runtimeMetrics, serveMetrics } from '../../runtime/metrics.ts';
import type { Task } from '../../runtime/task.ts';
import type { SinkStatus } from '../../sinks/util/index.ts';
import { parsePipelineTargets, PipelineHealth } from './health.ts';

/** The parts of a task the runtime's metrics read. */
function fakeTask(partition: number, stats: Partial<Task['stats']>, gauges: Array<[string, number]> = []): Task {
  return {
    topic: 'otlp_spans',
    partition,
    stats: { recordsIn: 0, itemsIn: 0, recordsOut: 0, deadLetters: 0, outOfBounds: 0, lag: 0, commits: 0, ...stats },
    ctx: { streamTime: { current: 1_700_000_000_000 + partition * 1000 }, gauges: new Map(gauges.map(([n, v]) => [n, () => v])) },
  } as unknown as Task;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(tasks: Task[], sinks: SinkStatus[], ready: boolean, configure?: (m: ReturnType<typeof runtimeMetrics>) => void): Promise<{ url: string; tasks: Task[] }> {
  const metrics = runtimeMetrics('trace-index', () => tasks, () => sinks);
  configure?.(metrics);
  const server = await serveMetrics(metrics.registry, 0, { live: () => true, ready: () => ready, notReadyReason: () => 'restoring or not assigned yet' });
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tasks };
}

describe('PipelineHealth', () => {
  it('sums the tasks, reads sink states, restore progress and readiness, and rates between two scrapes', async () => {
    const tasks = [fakeTask(0, { recordsIn: 100, recordsOut: 10, lag: 5, deadLetters: 1, outOfBounds: 2 }, [['window_late_total', 3]]), fakeTask(1, { recordsIn: 50, lag: 7 })];
    const sinks: SinkStatus[] = [
      { sink: 'rollup_1m', state: 'closed', failures: 0 },
      { sink: 'influx', state: 'open', failures: 4, lastError: 'HTTP 503' },
    ];
    const a = await serve(tasks, sinks, true, (m) => {
      m.restoreRead.set(25);
      m.restoreTotal.set(100);
      m.restoredEntries.inc(7);
      m.sinks.deadLetters('influx', 2);
    });
    const b = await serve([], [], false);
    const health = new PipelineHealth([{ name: 'trace-index', url: a.url }, { name: 'idle', url: b.url }, { name: 'gone', url: 'http://127.0.0.1:9' }], { intervalMs: 60_000 });
    try {
      const first = await health.snapshot();
      const [p, idle, gone] = first.processes;
      expect(p).toMatchObject({ up: true, ready: true, application: 'trace-index', partitions: 2, lag: 12, recordsIn: 150, recordsOut: 10, late: 5, deadLetters: 3 });
      expect(p.restore).toEqual({ read: 25, total: 100, restoredEntries: 7 });
      expect(p.sinks).toEqual([
        { sink: 'influx', state: 'circuit open', consecutiveFailures: 4, rowsTotal: 0, deadLetters: 2 },
        { sink: 'rollup_1m', state: 'healthy', consecutiveFailures: 0, rowsTotal: 0, deadLetters: 0 },
      ]);
      expect(p.inPerSecond).toBeUndefined();
      expect(idle).toMatchObject({ up: true, ready: false, readyReason: 'restoring or not assigned yet', partitions: 0 });
      expect(gone.up).toBe(false);
      expect(gone.error).toBeTruthy();

      tasks[0].stats.recordsIn += 300;
      await new Promise((r) => setTimeout(r, 200));
      const second = await health.refresh();
      expect(second.processes[0].inPerSecond).toBeGreaterThan(0);
      expect(second.processes[0].history).toHaveLength(1);
    } finally {
      health.stop();
    }
  });

  it('parses --pipeline targets and names what is wrong', () => {
    expect(parsePipelineTargets('trace-index=http://127.0.0.1:9476, http://h:9464/')).toEqual([
      { name: 'trace-index', url: 'http://127.0.0.1:9476' },
      { name: 'h:9464', url: 'http://h:9464' },
    ]);
    expect(() => parsePipelineTargets('x=not a url')).toThrow(/not a URL/);
    expect(() => parsePipelineTargets('x=ftp://h:1')).toThrow(/http/);
  });
});
