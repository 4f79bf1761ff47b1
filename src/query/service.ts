// The query service: store, materialization, queries, fan-out and the HTTP server, wired together. The CLI
// (`otlp-streams query`) and the tests run it the same way.
import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import type { Tenancy } from '../ingest/tenancy.ts';
import { componentLogger, type Logger } from '../log.ts';
import { Materializer } from './materialize.ts';
import { createQueryMetrics } from './metrics.ts';
import { FanOut, LocalReplica, RemoteReplica } from './peers.ts';
import { SeriesCatalog } from './prometheus/index.ts';
import { QueryServer } from './server.ts';
import { openQueryStore, type QueryStore } from './store.ts';
import { LogSearch } from './logs/search.ts';
import { openLogStore, type LogStore } from './logs/store.ts';
import { TraceQueries } from './traces.ts';
import { PipelineHealth, type PipelineTarget } from './pipeline/health.ts';
import { RollupReader, type RollupReaderOptions } from './rollups/reader.ts';

export interface QueryServiceOptions {
  host: string;
  port: number;
  dataDir: string;
  /** Partitions of otlp.traces / otlp.index served; undefined = all. */
  partitions?: readonly number[];
  /** Base URLs of the other replicas. */
  peers: readonly string[];
  /** `logs`: the log blocks topic (omitted: no logs served). */
  topics: { traces: string; index: string; series?: string; logs?: string };
  tenancy: Tenancy;
  version?: string;
  log?: Logger;
  progressIntervalMs?: number;
  /** The PostgreSQL sinks' database: metric charts and the service graph (omitted: not served). */
  rollups?: RollupReaderOptions;
  /** The topology processes whose health the pipeline view shows. */
  pipeline?: readonly PipelineTarget[];
}

export const QUERY_DEFAULTS = {
  host: '127.0.0.1',
  port: 3200,
  dataDir: '.otlp-streams/query',
  topics: { traces: 'otlp.traces', index: 'otlp.index', series: 'otlp.series', logs: 'otlp.logs.blocks' },
} as const;

/** A running query service. */
export class QueryService {
  readonly store: QueryStore;
  readonly materializer: Materializer;
  readonly queries: TraceQueries;
  readonly logStore: LogStore;
  readonly rollups: RollupReader | undefined;
  readonly pipeline: PipelineHealth | undefined;
  private readonly server: QueryServer;
  private readonly log: Logger;
  private port_: number | undefined;

  constructor(kafka: Kafka, config: Config, options: QueryServiceOptions) {
    this.log = options.log ?? componentLogger('query');
    this.store = openQueryStore(options.dataDir);
    const metrics = createQueryMetrics(() => this.store.usedBytes());
    const catalog = options.topics.series !== undefined ? new SeriesCatalog(this.store.root) : undefined;
    this.logStore = openLogStore(this.store.root);
    this.materializer = new Materializer(kafka, config, this.store, {
      ...options.topics,
      logStore: this.logStore,
      partitions: options.partitions,
      seriesSink: catalog,
      metrics,
      log: this.log,
      progressIntervalMs: options.progressIntervalMs,
    });
    this.queries = new TraceQueries(this.store);
    this.rollups = options.rollups ? new RollupReader(options.rollups) : undefined;
    this.pipeline = options.pipeline && options.pipeline.length > 0 ? new PipelineHealth(options.pipeline) : undefined;
    const local = new LocalReplica(this.queries);
    const onPeerFailure = (peer: string, err: Error) => {
      metrics.peerFailures.inc({ peer });
      this.log.warn({ peer, err: err.message }, 'a peer did not answer');
    };
    this.server = new QueryServer({
      host: options.host,
      port: options.port,
      tenancy: options.tenancy,
      metrics,
      isReady: () => this.materializer.isReady(),
      log: this.log,
      context: {
        fanOut: new FanOut(local, options.peers.map((p) => new RemoteReplica(p)), onPeerFailure),
        localOnly: new FanOut(local, []),
        local,
        catalog,
        logs: options.topics.logs !== undefined ? new LogSearch(this.logStore) : undefined,
        logPeers: options.peers.length > 0 ? { urls: options.peers, onFailure: onPeerFailure } : undefined,
        rollups: this.rollups,
        pipeline: this.pipeline,
        version: options.version ?? 'dev',
      },
    });
  }

  /** Starts serving HTTP and materializing; resolves with the port (ready later: `ready`). */
  async start(): Promise<number> {
    this.port_ = await this.server.start();
    await this.materializer.start();
    return this.port_;
  }

  /** Resolves once caught up with the end offsets seen at start. */
  get ready(): Promise<void> {
    return this.materializer.ready;
  }

  get port(): number {
    if (this.port_ === undefined) throw new Error('query service not started');
    return this.port_;
  }

  async stop(): Promise<void> {
    await this.materializer.stop();
    await this.server.stop();
    this.pipeline?.stop();
    await this.rollups?.close();
    await this.store.close();
  }
}
