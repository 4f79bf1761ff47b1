// Shape comparison for response fixtures (tests only): the same keys and the same JSON value types, recursively;
// every element of an array has the shape of one of the fixture array's elements (tags mix value types), and an
// empty array agrees with any array. Objects used as maps (keys are data, like
// serviceStats or Jaeger's processes) are named by path (`$.traces[].serviceStats`): each value has the shape of the
// fixture's first value.

/** The differences between the shape of `actual` and that of `fixture` (empty when they agree). */
export function shapeDifferences(actual: unknown, fixture: unknown, maps: readonly string[] = [], path = '$'): string[] {
  const type = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (type(actual) !== type(fixture)) return [`${path}: ${type(actual)} where the fixture has ${type(fixture)}`];
  if (Array.isArray(actual) && Array.isArray(fixture)) {
    if (actual.length === 0) return [];
    if (fixture.length === 0) return [`${path}: the fixture's array is empty, nothing to compare with`];
    return actual.flatMap((item, k) => {
      const each = fixture.map((f) => shapeDifferences(item, f, maps, `${path}[${k}]`));
      return each.some((d) => d.length === 0) ? [] : each[0];
    });
  }
  if (type(actual) === 'object') {
    const a = actual as Record<string, unknown>;
    const f = fixture as Record<string, unknown>;
    if (maps.includes(path.replace(/\[\d+\]/g, '[]'))) {
      const template = Object.values(f)[0];
      if (template === undefined) return [`${path}: the fixture's map is empty, nothing to compare with`];
      return Object.entries(a).flatMap(([key, v]) => shapeDifferences(v, template, maps, `${path}.${key}`));
    }
    const out: string[] = [];
    for (const key of Object.keys(f)) if (!(key in a)) out.push(`${path}.${key}: missing`);
    for (const key of Object.keys(a)) if (!(key in f)) out.push(`${path}.${key}: not in the fixture`);
    for (const key of Object.keys(a)) if (key in f) out.push(...shapeDifferences(a[key], f[key], maps, `${path}.${key}`));
    return out;
  }
  return [];
}
