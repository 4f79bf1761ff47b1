// GET /api/pipeline: the health of the topology processes the service watches (src/query/pipeline/health.ts).
import { json, type Route } from './route.ts';

/** The pipeline-health route. */
export function pipelineRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/pipeline',
      dialect: 'plain',
      async handle(_req, ctx) {
        if (!ctx.pipeline) return json({ scrapedAtMs: Date.now(), intervalMs: 0, processes: [], note: 'no processes to watch: start the query service with --pipeline name=http://host:port,… (otlp-streams start does)' });
        return json(await ctx.pipeline.snapshot());
      },
    },
  ];
}
