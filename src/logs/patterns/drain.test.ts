// The pattern miner: a fixture of lines from known templates is mined back into exactly those templates; masking on
// a table of tricky lines; the memory bound under all-distinct lines; and the state codec (mine A, save, restore,
// mine B = mine A+B; hostile bytes fail with a RangeError).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../gen/random.ts';
import { PatternMiner, logTokens, matchesTemplate, patternMinerOptions, type PatternMinerOptions } from './drain.ts';

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'walter'];
const JOBS = ['reindex', 'compact', 'backup', 'vacuum', 'rollup', 'export', 'prune', 'sync'];

function fixtureLines(): { lines: string[]; templates: Map<string, number> } {
  // Seeded (the generator's PRNG), so the fixture is the same on every run.
  const seeded = new Random(17);
  const r = () => seeded.next();
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (max: number): number => Math.floor(r() * max);
  const hex = (n: number): string => {
    let s = String(int(10)); // at least one digit, as trace and session ids in practice have
    while (s.length < n) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const uuid = (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const ip = (): string => `${10 + int(200)}.${int(256)}.${int(256)}.${int(256)}`;
  const duration = (): string => pick([`${int(900)}ms`, `${(r() * 5).toFixed(2)}s`, `${int(900)}us`]);
  const generators: Array<[string, () => string]> = [
    ['payment <*> authorized for <*> <*> in <*>', () => `payment ${uuid()} authorized for ${(r() * 500).toFixed(2)} ${pick(['EUR', 'USD', 'GBP'])} in ${duration()}`],
    ['GET /api/orders/<*> returned <*> in <*>', () => `GET /api/orders/${int(100000)} returned ${pick([200, 201, 404, 500])} in ${duration()}`],
    ['user <*> logged in from <*>', () => `user ${pick(NAMES)} logged in from ${ip()}`],
    ['cache miss for key session:<*> on shard <*>', () => `cache miss for key session:${hex(16)} on shard ${int(64)}`],
    ['worker <*> finished job <*> with <*> retries', () => `worker ${pick(NAMES)} finished job ${pick(JOBS)} with ${int(5)} retries`],
  ];
  const lines: string[] = [];
  for (const [, generate] of generators) for (let i = 0; i < 200; i++) lines.push(generate());
  for (let i = lines.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return { lines, templates: new Map(generators.map(([t]) => [t, 200])) };
}

describe('PatternMiner', () => {
  it('mines lines from 5 known templates back into exactly those templates with their counts', () => {
    const { lines, templates } = fixtureLines();
    const miner = new PatternMiner();
    const ids = lines.map((line) => miner.add(line).id);
    const clusters = miner.clusters();
    expect(new Map(clusters.map((c) => [c.template, c.count]))).toEqual(templates);
    const byId = new Map(clusters.map((c) => [c.id, c.template]));
    lines.forEach((line, i) => expect(matchesTemplate(byId.get(ids[i])!, line), `${line} ~ ${byId.get(ids[i])}`).toBe(true));
  });

  it('keeps a cluster id for its life and says when the template changed', () => {
    const miner = new PatternMiner();
    expect(miner.add('user alice logged in from 10.0.0.1')).toEqual({ id: 1, template: 'user alice logged in from <*>', changed: true });
    expect(miner.add('user alice logged in from 10.0.0.2')).toEqual({ id: 1, template: 'user alice logged in from <*>', changed: false });
    expect(miner.add('user bob logged in from 10.0.0.3')).toEqual({ id: 1, template: 'user <*> logged in from <*>', changed: true });
    expect(miner.add('user carol logged out')).toEqual({ id: 2, template: 'user carol logged out', changed: true });
    expect(miner.add('')).toEqual({ id: 3, template: '', changed: true });
    expect(miner.add('   ')).toEqual({ id: 3, template: '', changed: false });
    expect(miner.clusters()).toEqual([
      { id: 1, template: 'user <*> logged in from <*>', count: 3 },
      { id: 2, template: 'user carol logged out', count: 1 },
      { id: 3, template: '', count: 2 },
    ]);
  });

  it('starts a new cluster below the similarity threshold and routes by the first token', () => {
    const miner = new PatternMiner({ similarity: 0.5 });
    expect(miner.add('a b c d').id).toBe(1);
    expect(miner.add('a x y z').id).toBe(2); // 1 of 4 equal
    expect(miner.add('a b c z').id).toBe(1); // 3 of 4 equal to template 1, 2 of 4 to template 2
    expect(miner.add('a b y q')).toEqual({ id: 1, template: 'a b <*> <*>', changed: true }); // 2 of 4 to both: the lower id
    expect(miner.add('q b c d').id).toBe(3); // another first token is another leaf
    expect(miner.add('a b c').id).toBe(4); // another token count is another leaf
  });

  it.each<[string, string, Partial<PatternMinerOptions>?]>([
    ['connected to 10.0.0.1:8080 in 12ms', 'connected to <*> in <*>'],
    ['trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7', 'trace <*> span <*>'],
    ['id=123e4567-e89b-12d3-a456-426614174000 done', 'id=<*> done'],
    ['at 2024-01-02T10:11:12.123Z or 2024-01-02 10:11:12,345', 'at <*> or <*> <*>'],
    ['v1.2.3 user42 -5 3.14 deadbeef 0xdeadbeef12', 'v1.2.3 user42 <*> <*> deadbeef <*>'],
    ['::1 fe80::1%eth0 [2001:db8::1]:443 ::ffff:10.1.2.3 std::vector', '<*> <*>%eth0 [<*>]:<*> <*> std::vector'],
    ['took 1h30m then 1.5s then 250µs', 'took <*> then <*> then <*>'],
    ['GET /api/orders/123?page=2 "a b c"', 'GET /api/orders/<*>?page=<*> "a b c"'],
    ['GET /api/orders/123?page=2 "a \\"b\\" c"', 'GET /api/orders/<*>?page=<*> <*>', { maskQuoted: true }],
    ['  tabs\tand\nnewlines  ', 'tabs and newlines'],
    ['a b c d e f', 'a b c <*>', { maxTokens: 4 }],
    ['abcdef ghijkl mnop', 'abcdef <*>', { maxLineLength: 10 }],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
  ])('masks and splits %j', (line, tokens, options) => {
    expect(logTokens(line, options).join(' ')).toBe(tokens);
  });

  it('holds at most maxClusters clusters and a bounded tree for a stream of all-distinct lines', () => {
    const word = (n: number): string => n.toString(26).replace(/[0-9]/g, (d) => 'qrstuvwxyz'[Number(d)]);
    for (const depth of [3, 4, 6]) {
      const miner = new PatternMiner({ depth, maxClusters: 50, maxChildren: 8 });
      let lastId = 0;
      for (let i = 0; i < 5000; i++) {
        const line = Array.from({ length: 1 + (i % 7) }, (_, k) => word(i * 7 + k)).join(' ');
        const { id } = miner.add(line);
        expect(id).toBeGreaterThan(lastId); // every line is new, and ids are never reused
        lastId = id;
        expect(miner.size).toBeLessThanOrEqual(50);
      }
      // The root, at most 8 token-count nodes, and per cluster at most its depth − 3 route nodes.
      expect(miner.treeNodes()).toBeLessThanOrEqual(1 + 8 + 50 * (depth - 3));
    }
  });

  it('keeps named children per node within maxChildren (the rest share <*>)', () => {
    const miner = new PatternMiner({ maxChildren: 3 });
    expect(miner.add('alpha x').id).toBe(1);
    expect(miner.add('beta x').id).toBe(2);
    expect(miner.add('gamma x').id).toBe(3); // no room for a third named child: goes through <*>
    expect(miner.add('delta x')).toEqual({ id: 3, template: '<*> x', changed: true });
    expect(miner.add('alpha y').id).toBe(1);
  });

  it('rejects options out of range naming the option', () => {
    expect(() => patternMinerOptions({ depth: 2 })).toThrow(/depth 2/);
    expect(() => patternMinerOptions({ similarity: 1.5 })).toThrow(/similarity/);
    expect(() => new PatternMiner({ maxClusters: 0 })).toThrow(/maxClusters/);
    expect(() => new PatternMiner({ maxChildren: 1.5 })).toThrow(/maxChildren/);
  });
});

// Lines from a small vocabulary, so they collide, generalize, overflow nodes and evict.
const lineArb = fc.array(fc.constantFrom('a', 'b', 'c', 'get', 'put', 'x1', '42', '10.0.0.1', '"q r"', 'é', '<*>', '日本'), { maxLength: 6 }).map((ts) => ts.join(' '));
const optionsArb = fc.record({
  depth: fc.integer({ min: 3, max: 6 }),
  similarity: fc.constantFrom(0, 0.3, 0.5, 0.75, 1),
  maxChildren: fc.integer({ min: 2, max: 4 }),
  maxClusters: fc.integer({ min: 1, max: 8 }),
  maxTokens: fc.integer({ min: 1, max: 8 }),
  maxLineLength: fc.integer({ min: 1, max: 40 }),
  maskQuoted: fc.boolean(),
});

describe('PatternMiner state', () => {
  it('mine A, save, restore, mine B gives the ids and templates of mining A then B straight', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(lineArb, { maxLength: 40 }), fc.array(lineArb, { maxLength: 40 }), (options, a, b) => {
        const straight = new PatternMiner(options);
        for (const line of a) straight.add(line);
        const saved = new PatternMiner(options);
        for (const line of a) saved.add(line);
        const restored = PatternMiner.fromBytes(saved.toBytes());
        expect(restored.options).toEqual(straight.options);
        expect(restored.clusters()).toEqual(straight.clusters());
        for (const line of b) expect(restored.add(line)).toEqual(straight.add(line));
        expect(restored.clusters()).toEqual(straight.clusters());
        expect(restored.toBytes()).toEqual(straight.toBytes());
      }),
    );
  });

  it('keeps the route of each cluster: where a full node sent it is not redone in recency order', () => {
    // 'a' took the one named child, 'b' went through <*>; 'a' is the most recent, so a restore that re-routed in
    // recency order would give 'b' the named child, and 'c x' would then join 'a x' instead of 'b x'.
    const options = { maxChildren: 2, similarity: 0.5 };
    const straight = new PatternMiner(options);
    for (const line of ['a x', 'b x', 'a x']) straight.add(line);
    const restored = PatternMiner.fromBytes(straight.toBytes());
    expect(restored.add('c x')).toEqual({ id: 2, template: '<*> x', changed: true });
    expect(straight.add('c x')).toEqual({ id: 2, template: '<*> x', changed: true });
  });

  it('restoring with a smaller maxClusters evicts the least recently used; another depth keeps the clusters', () => {
    const miner = new PatternMiner();
    for (const line of ['a 1', 'b 2', 'c 3', 'a 4']) miner.add(line);
    expect(PatternMiner.fromBytes(miner.toBytes(), { maxClusters: 2 }).clusters()).toEqual([
      { id: 1, template: 'a <*>', count: 2 },
      { id: 3, template: 'c <*>', count: 1 },
    ]);
    const deeper = PatternMiner.fromBytes(miner.toBytes(), { depth: 5 });
    expect(deeper.clusters()).toEqual(miner.clusters());
    expect(deeper.add('b 5')).toEqual({ id: 2, template: 'b <*>', changed: false });
  });

  it('garbage bytes throw a RangeError naming the state, or decode to a miner that re-encodes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodeOrRangeError(bytes)));
  });

  it('damaged encodings (truncated, a byte changed, bytes appended) throw a RangeError or decode', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(lineArb, { minLength: 1, maxLength: 20 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'flip', 'append'), (options, lines, at, byte, damage) => {
        const miner = new PatternMiner(options);
        for (const line of lines) miner.add(line);
        const bytes = miner.toBytes();
        const i = at % bytes.length;
        const damaged = damage === 'truncate' ? bytes.subarray(0, i) : damage === 'append' ? Uint8Array.of(...bytes, byte) : bytes.map((b, k) => (k === i ? byte : b));
        decodeOrRangeError(damaged);
        if (damage !== 'flip') expect(() => PatternMiner.fromBytes(damaged)).toThrow(/^pattern miner state/);
      }),
    );
  });

  it('names what is wrong', () => {
    const miner = new PatternMiner();
    miner.add('a b');
    const bytes = miner.toBytes();
    expect(() => PatternMiner.fromBytes(Uint8Array.of(9, ...bytes.subarray(1)))).toThrow('pattern miner state: unknown format version 9 at byte 1');
    expect(() => PatternMiner.fromBytes(new Uint8Array(0))).toThrow(/pattern miner state: truncated/);
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]; // 2^53 − 1
    expect(() => PatternMiner.fromBytes(Uint8Array.of(1, ...huge, ...new Array(16).fill(0)))).toThrow(/pattern miner state: depth 9007199254740991 is not an integer in \[3, 32\]/);
    // The default options, next id 2, then 2^53 − 1 clusters.
    const header = bytes.subarray(0, bytes.indexOf(2, 1 + 1 + 8 + 1 + 2 + 1 + 2 + 1) + 1);
    expect(() => PatternMiner.fromBytes(Uint8Array.of(...header, ...huge))).toThrow(/pattern miner state: length 9007199254740991 above the limit 1000/);
  });
});

function decodeOrRangeError(bytes: Uint8Array): void {
  let miner: PatternMiner;
  try {
    miner = PatternMiner.fromBytes(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^pattern miner state: /);
    return;
  }
  const again = PatternMiner.fromBytes(miner.toBytes());
  expect(again.clusters()).toEqual(miner.clusters());
  miner.add('a b c');
}
