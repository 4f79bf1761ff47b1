// Log queries over several replicas: a replica serves some partitions (`--partitions`), so the logs of the others are
// on its peers (`--peers`). A route asks each peer the same public endpoint with the forwarded header (the peer then
// answers from its own store only, with the caller's credentials, so it resolves the same tenant) and merges: hits by
// time, counts by adding, templates by the pattern merge, Loki streams by stream and series by labels. A peer that
// fails is reported (x-otlp-streams-partial), never fatal.
import type { Caller } from '../peers.ts';
import { FORWARDED_HEADER } from '../peers.ts';

/** The peers' base URLs and what to do when one fails. */
export interface LogPeers {
  urls: readonly string[];
  timeoutMs?: number;
  onFailure?: (peer: string, err: Error) => void;
}

/** Each peer's JSON answer to `path?query` (the query may differ per peer), and the peers that gave none. */
export async function askPeers<T>(
  peers: LogPeers | undefined,
  caller: Caller,
  path: string,
  query: URLSearchParams | ((peer: string) => URLSearchParams | undefined),
): Promise<{ answers: Array<{ peer: string; value: T }>; failures: string[] }> {
  const queryOf = typeof query === 'function' ? query : () => query;
  // A peer whose query is undefined is not asked (e.g. its pages are exhausted).
  const urls = (peers?.urls ?? []).filter((peer) => queryOf(peer) !== undefined);
  const settled = await Promise.allSettled(
    urls.map(async (peer) => {
      const res = await fetch(`${peer}${path}?${queryOf(peer)!}`, { headers: { ...caller.forward, [FORWARDED_HEADER]: '1' }, signal: AbortSignal.timeout(peers?.timeoutMs ?? 10_000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${res.status} ${body.slice(0, 200)}`);
      return JSON.parse(body) as T;
    }),
  );
  const answers: Array<{ peer: string; value: T }> = [];
  const failures: string[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') answers.push({ peer: urls[i], value: s.value });
    else {
      const err = s.reason as Error;
      peers?.onFailure?.(urls[i], err);
      failures.push(`peer ${urls[i]}: ${err.message}`);
    }
  });
  return { answers, failures };
}
