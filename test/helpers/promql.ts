// Reading raw samples back through PromQL: an instant query of a range vector returns the stored samples exactly.

interface MatrixResponse {
  status: string;
  error?: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** [timestamp ms, value] pairs of `selector` over the hour before `atMs`, retried until `retryUntil` samples are visible. */
export async function rawSamples(baseUrl: string, selector: string, atMs: number, opts: { retryUntil?: number; timeoutMs?: number } = {}): Promise<Array<[number, number]>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const params = new URLSearchParams({ query: `${selector}[1h]`, time: String(atMs / 1000) });
    const res = await fetch(`${baseUrl}/api/v1/query?${params}`);
    const body = (await res.json()) as MatrixResponse;
    if (body.status !== 'success') throw new Error(`PromQL ${selector}: ${body.error ?? res.status}`);
    const samples = body.data.result.flatMap((r) => r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]));
    if (opts.retryUntil === undefined || samples.length >= opts.retryUntil || Date.now() > deadline) return samples;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every series `selector` matches over `rangeMs` before `atMs`, as `name{label="value",…}` → [timestamp ms, value] pairs. */
export async function seriesSamples(baseUrl: string, selector: string, atMs: number, rangeMs: number): Promise<Map<string, Array<[number, number]>>> {
  const params = new URLSearchParams({ query: `${selector}[${Math.ceil(rangeMs / 1000)}s]`, time: String(atMs / 1000) });
  const res = await fetch(`${baseUrl}/api/v1/query?${params}`);
  const body = (await res.json()) as MatrixResponse;
  if (body.status !== 'success') throw new Error(`PromQL ${selector}: ${body.error ?? res.status}`);
  return new Map(body.data.result.map((r) => [seriesText(r.metric), r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number])]));
}

/** A label set as `name{a="1",b="2"}`, labels sorted. */
export function seriesText(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  return `${name}{${Object.keys(rest).sort().map((k) => `${k}="${rest[k]}"`).join(',')}}`;
}
