// Reads the rollups the PostgreSQL sinks wrote (rollup_1m … rollup_1d with otlp_series): metric charts and the
// service graph of the web UI. (To be built.)
import pg from 'pg';

export interface RollupReaderOptions {
  url: string;
  /** The schema holding the sink's tables (default: the connection's search path). */
  schema?: string;
}

export class RollupReader {
  readonly pool: pg.Pool;
  readonly schema: string | undefined;

  constructor(options: RollupReaderOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: 4 });
    this.schema = options.schema;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
