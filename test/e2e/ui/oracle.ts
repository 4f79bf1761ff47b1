// What the web UI's browser test knows about the data it sent, computed by brute force over the records themselves
// (never through the query service): each view's check compares what the page shows with these numbers.

export interface UiOracle {
  /** The query service's base URL (the UI is at `${baseUrl}/ui/`). */
  baseUrl: string;
  /** The event-time span of everything sent (ms): views are opened with `start`/`end` covering it. */
  range: { startMs: number; endMs: number };
  /** One trace of the data. */
  trace: {
    traceId: string;
    spanCount: number;
    /** Span ids on the critical path, in time order (adjacent pieces of one span joined). */
    criticalPath: string[];
    rootService: string;
    rootName: string;
    /** Its span with the most attributes: id and one attribute key and value it carries. */
    detailSpan: { spanId: string; name: string; attribute: { key: string; value: string } };
    /** Log records sent with this trace id. */
    logCount: number;
  };
  /** One edge of the service graph over `range`: client → server pairs as the servicegraph connector pairs them. */
  serviceGraph: { client: string; server: string; requests: number; failed: number };
  /** A log search over `range` and the number of records it matches. */
  logs: { query: string; hits: number };
  /**
   * One gauge series and its last complete minute of the data (the chart's last point at the 1m level). `labels`
   * holds the resource's service.name and service.instance.id (what tells the generated gauge's series apart) and
   * the point's attributes, if any.
   */
  metric: { name: string; labels: Record<string, string>; windowStartMs: number; avg: number; min: number; max: number; last: number };
  /** The topology processes the query service watches (pipeline view). */
  pipeline: { processes: string[] };
}
