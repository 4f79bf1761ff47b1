// Test helpers for log code: random LogRows for property tests, and a plain tokenizer standing in for tokenize.ts.
import fc from 'fast-check';
import type { LogRow } from './model.ts';

type Attributes = ReadonlyArray<readonly [string, string]>;

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', 'GET', 'checkout', 'ERROR', 'x'.repeat(300)),
);

const hex = (length: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Trace or span ids: empty, lowercase hex of the length, and the odd ones (uppercase, other lengths, not hex). */
function id(length: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: hex(length) },
    { weight: 1, arbitrary: hex(length).map((s) => s.toUpperCase()) },
    { weight: 1, arbitrary: hex(length - 2) },
    { weight: 1, arbitrary: text },
  );
}

const attributes: fc.Arbitrary<Attributes> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.tuple(fc.constantFrom('code.function', 'http.method', 'user', 'k'), text), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.tuple(text, text), { maxLength: 40 }) },
);

const bodies = fc.oneof(
  text,
  fc.tuple(fc.constantFrom('GET /api/cart', 'POST /api/checkout', 'checkout'), fc.integer({ min: 0, max: 999 })).map(([what, ms]) => `${what} handled in ${ms} ms`),
  fc.constantFrom('checkout failed: card declined', 'a b a b a', '{"level":"info","msg":"ok"}'),
);

/** Rows that share a few resources (as a segment's rows do), with odd values mixed in. */
export const logRows = (maxLength = 40): fc.Arbitrary<LogRow[]> =>
  fc
    .tuple(
      fc.array(fc.array(fc.tuple(fc.constantFrom('service.name', 'host.name', 'k8s.pod.name'), text), { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
      fc.array(
        fc.record({
          timeMs: fc.oneof(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }), fc.integer({ min: -(2 ** 50), max: 2 ** 50 })),
          timeNanos: fc.integer({ min: 0, max: 999_999 }),
          severityNumber: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer()),
          severityText: fc.oneof(fc.constantFrom('', 'INFO', 'ERROR', 'warn'), text),
          body: bodies,
          traceId: id(32),
          spanId: id(16),
          service: fc.oneof(fc.constantFrom('', 'cart', 'checkout'), text),
          resource: fc.nat(),
          attributes,
        }),
        { maxLength },
      ),
    )
    .map(([resources, rows]) => rows.map((r) => ({ ...r, resource: resources[r.resource % resources.length] })));

/** A plain tokenizer for tests: runs of letters, digits and '_', lower-cased, numbered from 0. */
export function simpleTokenize(body: string, fn: (term: string, position: number) => void): void {
  let position = 0;
  for (const m of body.matchAll(/[\p{L}\p{N}_]+/gu)) fn(m[0].toLowerCase(), position++);
}
