// Segment index: for random rows the decoded index holds exactly the terms, ordinals and positions a brute-force
// tokenization gives; arbitrary term sets round trip; phrases and set operations equal brute force; damaged or
// made-up bytes fail with a SegmentIndexError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Writer } from './codecInternals.ts';
import type { LogRow } from './model.ts';
import {
  buildSegmentIndex,
  decodePostings,
  decodeSegmentIndex,
  difference,
  encodeSegmentIndex,
  fieldTerm,
  intersect,
  MAX_FIELD_VALUE_LENGTH,
  MAX_TOKEN_LENGTH,
  phraseMatches,
  postingsDocCount,
  SegmentIndexError,
  union,
  type SegmentIndex,
  type SparseField,
  type TermPostings,
} from './segmentIndex.ts';
import { logRows, simpleTokenize } from './testing.ts';

/** term → ordinal → positions (ascending; empty for field terms), as plain data. */
type Expected = Map<string, Map<number, number[]>>;

/** What the index of `rows` must hold, worked out row by row without the index code. */
function bruteForce(rows: readonly LogRow[]): Expected {
  const out: Expected = new Map();
  const add = (term: string, ordinal: number, position?: number): void => {
    const key = Buffer.from(term, 'utf8').toString('utf8');
    if (!out.has(key)) out.set(key, new Map());
    const byOrdinal = out.get(key)!;
    if (!byOrdinal.has(ordinal)) byOrdinal.set(ordinal, []);
    if (position !== undefined && !byOrdinal.get(ordinal)!.includes(position)) byOrdinal.get(ordinal)!.push(position);
  };
  rows.forEach((row, ordinal) => {
    simpleTokenize(row.body, (term, position) => add(term, ordinal, position));
    const fields: Array<[string, string]> = [
      ['service', row.service],
      ['trace_id', row.traceId],
      ['span_id', row.spanId],
    ];
    for (const [field, value] of fields) if (value !== '' && value.length <= MAX_FIELD_VALUE_LENGTH) add(fieldTerm(field, value), ordinal);
    add(fieldTerm('severity', String(row.severityNumber)), ordinal);
    for (const [prefix, attributes] of [['attr.', row.attributes], ['resource.', row.resource]] as const) {
      for (const [k, v] of attributes) {
        if (k.length <= MAX_FIELD_VALUE_LENGTH && !k.includes('\u0000') && v.length <= MAX_FIELD_VALUE_LENGTH) add(fieldTerm(prefix + k, v), ordinal);
      }
    }
  });
  for (const byOrdinal of out.values()) for (const positions of byOrdinal.values()) positions.sort((a, b) => a - b);
  return out;
}

/** The decoded index as the same plain data, checking the postings' own claims on the way. */
function decoded(bytes: Uint8Array): Expected {
  const out: Expected = new Map();
  for (const [term, postingsBytes] of decodeSegmentIndex(bytes)) {
    const postings = decodePostings(postingsBytes);
    expect(postingsDocCount(postingsBytes)).toBe(postings.ordinals.length);
    expect(postings.hasPositions).toBe(!term.includes('\u0000'));
    const byOrdinal = new Map<number, number[]>();
    postings.ordinals.forEach((o, i) => byOrdinal.set(o, [...postings.positions(i)]));
    out.set(term, byOrdinal);
  }
  return out;
}

function decodesOrFailsCleanly(bytes: Uint8Array): void {
  try {
    for (const [, postingsBytes] of decodeSegmentIndex(bytes)) {
      const postings = decodePostings(postingsBytes);
      for (let i = 0; i < postings.ordinals.length; i++) postings.positions(i);
    }
  } catch (err) {
    expect(err).toBeInstanceOf(SegmentIndexError);
  }
}

function postingsFailOrDecode(bytes: Uint8Array): void {
  try {
    const postings = decodePostings(bytes);
    for (let i = 0; i < postings.ordinals.length; i++) postings.positions(i);
  } catch (err) {
    expect(err).toBeInstanceOf(SegmentIndexError);
  }
}

describe('segment index', () => {
  it('holds exactly the terms, ordinals and positions of a brute-force tokenization', () => {
    fc.assert(
      fc.property(logRows(30), (rows) => {
        const bytes = encodeSegmentIndex(buildSegmentIndex(rows, simpleTokenize));
        const got = decoded(bytes);
        expect(got).toEqual(bruteForce(rows));
        const terms = [...got.keys()];
        expect(terms).toEqual([...terms].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips arbitrary term sets, positions out of order and repeated included', () => {
    const ordinals = fc.uniqueArray(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 30 }).map((o) => o.sort((a, b) => a - b));
    const fieldPostings = ordinals.map((o): TermPostings => ({ ordinals: o, counts: null, positions: null }));
    const textPostings = fc
      .uniqueArray(fc.tuple(fc.nat({ max: 5000 }), fc.array(fc.nat({ max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 20, selector: ([o]) => o })
      .map((docs): TermPostings => {
        docs.sort(([a], [b]) => a - b);
        return { ordinals: docs.map(([o]) => o), counts: docs.map(([, p]) => p.length), positions: docs.flatMap(([, p]) => p) };
      });
    const term = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 34 }), fc.constantFrom('a', 'ab', 'abc', 'service'));
    const noNull = term.filter((t) => !t.includes('\u0000'));
    const sparseRows = fc.array(fc.tuple(fc.constantFrom('0af7', '0af8', 'x', ''), fc.nat({ max: 5000 })), { maxLength: 10 }).map((pairs) => pairs.sort(([, a], [, b]) => a - b));
    const entries = <T>(values: fc.Arbitrary<T>, keys = term) => fc.uniqueArray(fc.tuple(keys, values), { maxLength: 20, selector: ([k]) => k });
    fc.assert(
      fc.property(entries(textPostings, noNull), entries(entries(fieldPostings), noNull), entries(sparseRows, fc.constantFrom('trace_id', 'service', 'a')), (text, fields, sparse) => {
        const sparseFields = new Map(sparse.map(([f, pairs]): [string, SparseField] => [f, { values: pairs.map(([v]) => v), ordinals: pairs.map(([, o]) => o) }]));
        const index: SegmentIndex = { rows: 5001, text: new Map(text), fields: new Map(fields.map(([f, values]) => [f, new Map(values)])), sparseFields };
        const expected: Expected = new Map();
        for (const [f, { values, ordinals }] of sparseFields) {
          const byValue = new Map<string, Set<number>>();
          values.forEach((v, i) => byValue.set(v, (byValue.get(v) ?? new Set()).add(ordinals[i])));
          for (const [v, os] of byValue) expected.set(fieldTerm(f, v), new Map([...os].map((o) => [o, []])));
        }
        const addFieldTerm = (key: string, p: TermPostings): void => {
          const byOrdinal = new Map([...(expected.get(key) ?? new Map<number, number[]>())]);
          for (const o of p.ordinals) byOrdinal.set(o, []);
          expected.set(key, new Map([...byOrdinal].sort(([a], [b]) => a - b)));
        };
        const add = (key: string, p: TermPostings): void => {
          const byOrdinal = new Map<number, number[]>();
          let at = 0;
          p.ordinals.forEach((o, i) => {
            const count = p.counts === null ? 0 : p.counts[i];
            byOrdinal.set(o, p.positions === null ? [] : [...new Set(p.positions.slice(at, at + count))].sort((a, b) => a - b));
            at += count;
          });
          expected.set(key, byOrdinal);
        };
        for (const [t, p] of text) add(t, p);
        for (const [f, values] of fields) for (const [v, p] of values) addFieldTerm(fieldTerm(f, v), p);
        const got = decodedLoose(encodeSegmentIndex(index));
        expect(got).toEqual(expected);
        expect([...got.keys()]).toEqual([...expected.keys()].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('does not index long field values or tokens, U+0000 in keys or tokens, nor empty ids and services', () => {
    const row: LogRow = {
      timeMs: 0,
      timeNanos: 0,
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'x',
      traceId: '',
      spanId: '',
      service: '',
      resource: [['host.name', 'h'.repeat(MAX_FIELD_VALUE_LENGTH + 1)]],
      attributes: [['a\u0000b', 'c'], ['empty', ''], ['ok', 'h'.repeat(MAX_FIELD_VALUE_LENGTH)]],
    };
    const tokenize = (_: string, fn: (term: string, position: number) => void): void => {
      fn('severity\u000017', 0);
      fn('fine', 1);
      fn('y'.repeat(MAX_TOKEN_LENGTH + 1), 2);
      fn('z'.repeat(MAX_TOKEN_LENGTH), 3);
    };
    const terms = decodeSegmentIndex(encodeSegmentIndex(buildSegmentIndex([row], tokenize))).map(([t]) => t);
    expect(terms).toEqual([fieldTerm('attr.empty', ''), fieldTerm('attr.ok', 'h'.repeat(MAX_FIELD_VALUE_LENGTH)), 'fine', fieldTerm('severity', '17'), 'z'.repeat(MAX_TOKEN_LENGTH)]);
  });

  it('merges a term with a lone surrogate into its UTF-8 spelling (U+FFFD)', () => {
    const row: LogRow = { timeMs: 0, timeNanos: 0, severityNumber: 0, severityText: '', body: '', traceId: '', spanId: '', service: '', resource: [], attributes: [] };
    const tokenize = (_: string, fn: (term: string, position: number) => void): void => {
      fn('a\uFFFD', 3);
      fn('a\uD800', 1);
    };
    const entries = decodeSegmentIndex(encodeSegmentIndex(buildSegmentIndex([row], tokenize))).filter(([t]) => !t.includes('\u0000'));
    expect(entries.map(([t]) => t)).toEqual(['a\uFFFD']);
    expect([...decodePostings(entries[0][1]).positions(0)]).toEqual([1, 3]);
  });

  it('finds phrases exactly where brute force does', () => {
    const words = fc.constantFrom('a', 'b', 'c', 'd');
    const bodies = fc.array(fc.array(words, { maxLength: 12 }).map((w) => w.join(' ')), { maxLength: 40 });
    fc.assert(
      fc.property(bodies, fc.array(words, { minLength: 1, maxLength: 4 }), (lines, phrase) => {
        const rows = lines.map((body): LogRow => ({ timeMs: 0, timeNanos: 0, severityNumber: 0, severityText: '', body, traceId: '', spanId: '', service: '', resource: [], attributes: [] }));
        const byTerm = new Map(decodeSegmentIndex(encodeSegmentIndex(buildSegmentIndex(rows, simpleTokenize))));
        const expected = lines.flatMap((body, ordinal) => {
          const tokens = body.split(' ').filter((t) => t !== '');
          return tokens.some((_, p) => phrase.every((w, k) => tokens[p + k] === w)) ? [ordinal] : [];
        });
        const postings = phrase.map((w) => byTerm.get(w));
        const got = postings.every((p) => p !== undefined) ? [...phraseMatches(postings.map((p) => decodePostings(p!)))] : [];
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('intersects, unites and subtracts ordinal lists like sets do', () => {
    const list = fc.oneof(fc.uniqueArray(fc.nat({ max: 300 }), { maxLength: 200 }), fc.uniqueArray(fc.nat({ max: 300 }), { maxLength: 5 })).map((xs) => xs.sort((a, b) => a - b));
    fc.assert(
      fc.property(list, list, (a, b) => {
        const inB = new Set(b);
        const inA = new Set(a);
        expect([...intersect(a, b)]).toEqual(a.filter((x) => inB.has(x)));
        expect([...intersect(b, a)]).toEqual(a.filter((x) => inB.has(x)));
        expect([...union(a, b)]).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
        expect([...difference(a, b)]).toEqual(a.filter((x) => !inB.has(x)));
        expect([...difference(b, a)]).toEqual(b.filter((x) => !inA.has(x)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a phrase over a field term', () => {
    const index = buildSegmentIndex([{ timeMs: 0, timeNanos: 0, severityNumber: 9, severityText: '', body: 'a', traceId: '', spanId: '', service: 's', resource: [], attributes: [] }], simpleTokenize);
    const byTerm = new Map(decodeSegmentIndex(encodeSegmentIndex(index)));
    expect(() => phraseMatches([decodePostings(byTerm.get('a')!), decodePostings(byTerm.get(fieldTerm('service', 's'))!)])).toThrow(/field term/);
  });

  describe('hostile bytes', () => {
    const rows = fc.sample(logRows(15), { seed: 11, numRuns: 1 })[0];
    const valid = encodeSegmentIndex(buildSegmentIndex(rows, simpleTokenize));

    it('fails cleanly on every truncation and on single-byte damage', () => {
      for (let n = 0; n < valid.length; n++) {
        expect(() => decodeSegmentIndex(valid.subarray(0, n))).toThrow(SegmentIndexError);
      }
      for (let at = 0; at < valid.length; at++) {
        for (const value of [0x00, 0xff, valid[at] ^ 0x01, valid[at] ^ 0x80]) {
          const damaged = Buffer.from(valid);
          damaged[at] = value;
          decodesOrFailsCleanly(damaged);
        }
      }
    });

    it('fails cleanly on random bytes, as an index and as postings', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          if (bytes.length > 0) bytes[0] = 1;
          decodesOrFailsCleanly(bytes);
          postingsFailOrDecode(bytes.subarray(1));
        }),
        { numRuns: 3000 },
      );
    });

    it('refuses huge claimed counts and lengths', () => {
      const index = (...varints: number[]): Buffer => {
        const w = new Writer();
        w.byte(1);
        for (const v of varints) w.uvarint(v);
        return Buffer.from(w.bytes());
      };
      expect(() => decodeSegmentIndex(index(10, 2 ** 40))).toThrow(/term count 1099511627776 exceeds the bytes left/);
      expect(() => decodeSegmentIndex(index(10, 1, 0, 2 ** 40, 0, 0, 0))).toThrow(/term of 1099511627776 bytes is longer than 1600/);
      expect(() => decodeSegmentIndex(index(10, 1, 0, 1000, 0, 0, 0))).toThrow(/term length 1000 exceeds the bytes left/);
      expect(() => decodeSegmentIndex(index(10, 1, 5, 1, 97, 2, 2, 0))).toThrow(/shared prefix × 2 \+ packed 5 above 1/);
      expect(() => decodeSegmentIndex(index(10, 1, 0, 1, 97, 2, 2, 10))).toThrow(/ordinal 10 not below the segment's 10 rows/);
      expect(() => decodePostings(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]))).toThrow(SegmentIndexError);
      const hugeDocs = new Writer();
      hugeDocs.uvarint(2 ** 41 + 1);
      expect(() => decodePostings(hugeDocs.bytes())).toThrow(/doc count 1099511627776 is 0 or exceeds the bytes left/);
      const hugePositions = new Writer();
      for (const v of [3, 0, 1, 2 ** 40]) hugePositions.uvarint(v);
      expect(() => decodePostings(hugePositions.bytes()).positions(0)).toThrow(/position count 1099511627778 exceeds the bytes left/);
      const farPosition = new Writer();
      for (const v of [3, 0, 2 ** 40]) farPosition.uvarint(v);
      expect(() => decodePostings(farPosition.bytes()).positions(0)).toThrow(/position 549755813888 above 2\^32/);
    });
  });
});

/** Like `decoded` without the field-term check (arbitrary term sets mix positional and not at will). */
function decodedLoose(bytes: Uint8Array): Expected {
  const out: Expected = new Map();
  for (const [term, postingsBytes] of decodeSegmentIndex(bytes)) {
    const postings = decodePostings(postingsBytes);
    const byOrdinal = new Map<number, number[]>();
    postings.ordinals.forEach((o, i) => byOrdinal.set(o, [...postings.positions(i)]));
    out.set(term, byOrdinal);
  }
  return out;
}
