// Rollup charts and the service graph from the PostgreSQL sinks' tables (src/query/rollups/reader.ts): metric names,
// labels, one metric's series at the level that fits the range, and the service graph. All answer for the caller's
// tenant only; 404 when the service has no PostgreSQL.
import type { RollupReader } from '../rollups/reader.ts';
import { LEVELS } from '../rollups/levels.ts';
import { parseMatchers } from '../rollups/values.ts';
import { BadParameter, errorReply, intParameter, json, type Reply, type Route, type RouteRequest } from './route.ts';

const NO_POSTGRES = 'this query service reads no rollups: start it with --postgres <url> (otlp-streams start passes the stack\'s PostgreSQL)';

function required(req: RouteRequest, name: string): string {
  const v = req.query.get(name);
  if (v === null || v.trim() === '') throw new BadParameter(name, 'required');
  return v.trim();
}

function msParameter(req: RouteRequest, name: string): number {
  const raw = required(req, name);
  const n = Number(raw);
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(n)) throw new BadParameter(name, `expected a time in ms since the epoch, got ${JSON.stringify(raw.slice(0, 40))}`);
  return n;
}

function rangeOf(req: RouteRequest): { startMs: number; endMs: number; level?: string } {
  const startMs = msParameter(req, 'start');
  const endMs = msParameter(req, 'end');
  if (endMs <= startMs) throw new BadParameter('end', 'must be after start');
  const level = req.query.get('level') ?? '';
  if (level !== '' && !LEVELS.some((l) => l.name === level)) throw new BadParameter('level', `expected one of ${LEVELS.map((l) => l.name).join(', ')}`);
  return { startMs, endMs, ...(level !== '' ? { level } : {}) };
}

function matchOf(req: RouteRequest): Record<string, string> {
  try {
    return parseMatchers(req.query.get('match'));
  } catch (err) {
    throw new BadParameter('match', (err as Error).message);
  }
}

/** Runs `answer` with the reader; a missing table (the sinks have not written yet) is a 404 that says so. */
async function withRollups(rollups: RollupReader | undefined, answer: (r: RollupReader) => Promise<Reply>): Promise<Reply> {
  if (!rollups) return errorReply('plain', 404, NO_POSTGRES);
  try {
    return await answer(rollups);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      return errorReply('plain', 404, `no rollup tables in PostgreSQL yet (${(err as Error).message}): the sink-postgres-* topologies create them when they first write`);
    }
    throw err;
  }
}

/** The rollup routes. */
export function rollupRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/metrics/names',
      dialect: 'plain',
      handle: (req, ctx) =>
        withRollups(ctx.rollups, async (r) => {
          const q = (req.query.get('q') ?? '').trim();
          if (q.length > 200) throw new BadParameter('q', 'at most 200 characters');
          const limit = intParameter(req.query, 'limit', 20, 200);
          return json({ names: await r.names(req.caller.tenant, q, limit) });
        }),
    },
    {
      method: 'GET',
      path: '/api/metrics/labels',
      dialect: 'plain',
      handle: (req, ctx) =>
        withRollups(ctx.rollups, async (r) => {
          const name = required(req, 'name');
          return json({ name, ...(await r.labels(req.caller.tenant, name, matchOf(req))) });
        }),
    },
    {
      method: 'GET',
      path: '/api/metrics/query',
      dialect: 'plain',
      handle: (req, ctx) =>
        withRollups(ctx.rollups, async (r) => {
          const name = required(req, 'name');
          const match = matchOf(req);
          const range = rangeOf(req);
          const maxSeries = intParameter(req.query, 'limit', 50, 500);
          const answer = await r.series(req.caller.tenant, { name, match, ...range, maxSeries });
          if (!answer) throw new BadParameter('level', 'no such level');
          return json({ name, ...answer });
        }),
    },
    {
      method: 'GET',
      path: '/api/servicegraph',
      dialect: 'plain',
      handle: (req, ctx) =>
        withRollups(ctx.rollups, async (r) => {
          const range = rangeOf(req);
          const answer = await r.serviceGraph(req.caller.tenant, range.startMs, range.endMs, range.level);
          if (!answer) throw new BadParameter('level', 'no such level');
          return json({ startMs: range.startMs, endMs: range.endMs, ...answer });
        }),
    },
  ];
}
