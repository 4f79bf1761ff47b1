// Runtime metrics (prom-client, one registry per worker) and the /metrics, /healthz, /readyz endpoints.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SinkObserver, SinkStatus } from '../sinks/util/index.ts';
import type { Task } from './task.ts';

export interface RuntimeMetrics {
  registry: Registry;
  restoreSeconds: Histogram;
  restoredEntries: Counter;
  /** Changelog offsets read / to read by the restore in progress (both 0 when none runs). */
  restoreRead: Gauge;
  restoreTotal: Gauge;
  commitSeconds: Histogram;
  pausedPartitions: Gauge;
  rebalances: Counter;
  /** Requests and dead letters of the worker's sinks, as the SinkRunner reports them. */
  sinks: SinkObserver;
}

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Sink metrics: requests by outcome, latency, rows acknowledged, dead letters; breaker state read at scrape time. */
function sinkMetrics(registry: Registry, status: () => Iterable<SinkStatus>): SinkObserver {
  const requests = new Counter({ name: 'otlp_streams_sink_requests_total', help: 'Sink requests by outcome: ok, retryable, timeout, permanent', labelNames: ['sink', 'outcome'], registers: [registry] });
  const latency = new Histogram({ name: 'otlp_streams_sink_request_seconds', help: 'Latency of sink requests, whatever their outcome', labelNames: ['sink'], registers: [registry], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30] });
  const rows = new Counter({ name: 'otlp_streams_sink_rows_total', help: 'Rows acknowledged by sinks (a retried or replayed row counts again)', labelNames: ['sink'], registers: [registry] });
  const dead = new Counter({ name: 'otlp_streams_sink_dead_letters_total', help: 'Rows a sink rejected for good, sent to the dead-letter topic', labelNames: ['sink'], registers: [registry] });
  new Gauge({
    name: 'otlp_streams_sink_breaker_state',
    help: 'Circuit breaker of each sink: 0 closed, 1 half-open, 2 open',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of status()) this.set({ sink: s.sink }, BREAKER_VALUE[s.state]);
    },
  });
  new Gauge({
    name: 'otlp_streams_sink_consecutive_failures',
    help: 'Retryable failures of each sink since its last answer',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of status()) this.set({ sink: s.sink }, s.failures);
    },
  });
  return {
    request(sink, outcome, seconds, n) {
      requests.inc({ sink, outcome });
      latency.observe({ sink }, seconds);
      if (outcome === 'ok') rows.inc({ sink }, n);
    },
    deadLetters: (sink, n) => dead.inc({ sink }, n),
  };
}

/** Registers the runtime's metrics; per-task values are read from the live tasks at scrape time. */
export function runtimeMetrics(application: string, tasks: () => Iterable<Task>, sinks: () => Iterable<SinkStatus> = () => []): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ application });
  const perTask = (name: string, help: string, read: (t: Task) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of tasks()) this.set({ topic: t.topic, partition: String(t.partition) }, read(t));
      },
    });
  perTask('otlp_streams_records_in_total', 'Kafka records consumed by the task (a counter; restarts with the task)', (t) => t.stats.recordsIn);
  perTask('otlp_streams_items_in_total', 'Items (points, spans, log records) decoded from consumed records', (t) => t.stats.itemsIn);
  perTask('otlp_streams_records_out_total', 'Records produced to output topics (outputs, late records, dead letters)', (t) => t.stats.recordsOut);
  perTask('otlp_streams_dead_letters_total', 'Records sent to the dead-letter topic', (t) => t.stats.deadLetters);
  perTask('otlp_streams_out_of_bounds_total', 'Items whose event time was beyond the bounds (far ahead of the wall clock, far behind stream time), sent to the late topic', (t) => t.stats.outOfBounds);
  perTask('otlp_streams_consumer_lag', 'Records between the last consumed offset and the partition end', (t) => t.stats.lag);
  perTask('otlp_streams_stream_time_seconds', 'Stream time: the largest event time seen by the task', (t) => (Number.isFinite(t.ctx.streamTime.current) ? t.ctx.streamTime.current / 1000 : 0));
  perTask('otlp_streams_watermark_delay_seconds', 'Wall clock minus stream time', (t) => (Number.isFinite(t.ctx.streamTime.current) ? (Date.now() - t.ctx.streamTime.current) / 1000 : 0));
  perTask('otlp_streams_commits_total', 'Transactions committed by the task', (t) => t.stats.commits);
  new Gauge({
    name: 'otlp_streams_task_gauge',
    help: 'Operator gauges of each task: window state size, late records',
    labelNames: ['topic', 'partition', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tasks()) for (const [name, read] of t.ctx.gauges) this.set({ topic: t.topic, partition: String(t.partition), name }, read());
    },
  });
  return {
    registry,
    restoreSeconds: new Histogram({ name: 'otlp_streams_restore_seconds', help: 'Time to restore the state of newly assigned tasks', registers: [registry], buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 60] }),
    restoredEntries: new Counter({ name: 'otlp_streams_restored_entries_total', help: 'Store entries restored from changelogs', registers: [registry] }),
    restoreRead: new Gauge({ name: 'otlp_streams_restore_read_offsets', help: 'Changelog offsets read by the restore in progress (0 when none runs)', registers: [registry] }),
    restoreTotal: new Gauge({ name: 'otlp_streams_restore_total_offsets', help: 'Changelog offsets the restore in progress reads in all (0 when none runs)', registers: [registry] }),
    commitSeconds: new Histogram({ name: 'otlp_streams_commit_seconds', help: 'Latency of a task commit (sinks, outputs, changelog, offsets)', registers: [registry], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] }),
    pausedPartitions: new Gauge({ name: 'otlp_streams_paused_partitions', help: 'Partitions paused because a sink fell behind', registers: [registry] }),
    rebalances: new Counter({ name: 'otlp_streams_rebalances_total', help: 'Group assignments received', registers: [registry] }),
    sinks: sinkMetrics(registry, sinks),
  };
}

/** Serves /metrics, /healthz and /readyz; resolves with the listening server. */
export async function serveMetrics(registry: Registry, port: number, health: { live: () => boolean; ready: () => boolean; notReadyReason?: () => string }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (path === '/healthz') {
      const ok = health.live();
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'consumer stopped\n');
    } else if (path === '/readyz') {
      const ok = health.ready();
      res.writeHead(ok ? 200 : 503).end(ok ? 'ready\n' : `${health.notReadyReason?.() ?? 'restoring or not assigned yet'}\n`);
    } else res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
