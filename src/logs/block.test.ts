// Log blocks: random rows round trip (all of them, or picked ordinals), the header reads without decompressing, and
// damaged or made-up bytes fail with a LogBlockError — never another error, a hang or a huge allocation.
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { decodeLogBlock, decodeLogBlockRows, encodeLogBlock, LogBlockError, readLogBlockHeader } from './block.ts';
import { Writer } from './codecInternals.ts';
import type { LogRow } from './model.ts';
import { logRows } from './testing.ts';

function row(overrides: Partial<LogRow> = {}): LogRow {
  return {
    timeMs: 1_700_000_000_000,
    timeNanos: 0,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'GET /api/cart handled in 12 ms',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    service: 'cart',
    resource: [['service.name', 'cart']],
    attributes: [['code.function', 'GET /api/cart']],
    ...overrides,
  };
}

/** Decoding must return rows or throw a LogBlockError. */
function decodesOrFailsCleanly(bytes: Uint8Array): void {
  try {
    const header = readLogBlockHeader(bytes);
    const rows = decodeLogBlock(bytes);
    expect(rows.length).toBe(header.rows);
  } catch (err) {
    expect(err).toBeInstanceOf(LogBlockError);
  }
}

describe('log block', () => {
  it('round-trips random rows, in order', () => {
    fc.assert(
      fc.property(logRows(), (rows) => {
        const bytes = encodeLogBlock(rows);
        expect(decodeLogBlock(bytes)).toEqual(rows);
        const times = rows.map((r) => r.timeMs);
        expect(readLogBlockHeader(bytes)).toEqual({
          rows: rows.length,
          minTimeMs: rows.length === 0 ? 0 : Math.min(...times),
          maxTimeMs: rows.length === 0 ? 0 : Math.max(...times),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('decodes picked ordinals, in the order asked, repeats included', () => {
    fc.assert(
      fc.property(
        logRows().filter((rows) => rows.length > 0),
        fc.array(fc.nat(), { maxLength: 10 }),
        (rows, picks) => {
          const ordinals = picks.map((p) => p % rows.length);
          expect(decodeLogBlockRows(encodeLogBlock(rows), ordinals)).toEqual(ordinals.map((o) => rows[o]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps ids as they were: binary for lowercase hex, text for anything else', () => {
    const rows = [
      row(),
      row({ traceId: '', spanId: '' }),
      row({ traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203331' }),
      row({ traceId: 'abc', spanId: 'not hex at all!!' }),
    ];
    expect(decodeLogBlock(encodeLogBlock(rows))).toEqual(rows);
    // 16 + 8 bytes instead of 48 characters: the binary form is what makes a row smaller than its text.
    const hexOnly = encodeLogBlock([row({ body: '', attributes: [] })]);
    const textIds = encodeLogBlock([row({ body: '', attributes: [], traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203331' })]);
    expect(hexOnly.length).toBeLessThan(textIds.length);
  });

  it('writes a lone surrogate as U+FFFD (UTF-8 cannot hold it)', () => {
    const [back] = decodeLogBlock(encodeLogBlock([row({ body: 'a\uD800b', service: '\uDC00' })]));
    expect(back.body).toBe('a\uFFFDb');
    expect(back.service).toBe('\uFFFD');
  });

  it('refuses rows it cannot store, naming the row and field', () => {
    expect(() => encodeLogBlock([row(), row({ timeMs: NaN })])).toThrow(/row 1: timeMs NaN/);
    expect(() => encodeLogBlock([row({ timeMs: 2 ** 51 })])).toThrow(LogBlockError);
    expect(() => encodeLogBlock([row({ timeNanos: -1 })])).toThrow(/timeNanos -1/);
    expect(() => encodeLogBlock([row({ severityNumber: 1.5 })])).toThrow(/severityNumber 1.5/);
  });

  it('refuses ordinals outside the block', () => {
    const bytes = encodeLogBlock([row(), row()]);
    expect(() => decodeLogBlockRows(bytes, [2])).toThrow(/ordinal 2 outside the block's 2 rows/);
    expect(() => decodeLogBlockRows(bytes, [-1])).toThrow(LogBlockError);
  });

  it('is much smaller than the rows as text for rows like the generator makes', () => {
    const rows = Array.from({ length: 2000 }, (_, i) =>
      row({ timeMs: 1_700_000_000_000 + i * 3, body: `GET /api/cart handled in ${i % 97} ms`, traceId: (i * 7919).toString(16).padStart(32, '0'), spanId: (i * 104729).toString(16).padStart(16, '0') }),
    );
    const rawText = rows.reduce((n, r) => n + r.body.length + r.traceId.length + r.spanId.length + r.attributes.reduce((m, [k, v]) => m + k.length + v.length, 0), 0);
    expect(encodeLogBlock(rows).length).toBeLessThan(rawText / 2);
  });

  describe('hostile bytes', () => {
    const valid = encodeLogBlock(fc.sample(logRows(20), { seed: 7, numRuns: 1 })[0].concat([row(), row({ body: 'é' })]));

    it('fails cleanly on every truncation and on single-byte damage', () => {
      for (let n = 0; n < valid.length; n++) decodesOrFailsCleanly(valid.subarray(0, n));
      for (let at = 0; at < valid.length; at++) {
        for (const value of [0x00, 0xff, valid[at] ^ 0x01, valid[at] ^ 0x80]) {
          const damaged = Buffer.from(valid);
          damaged[at] = value;
          decodesOrFailsCleanly(damaged);
        }
      }
    });

    it('fails cleanly on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withVersion) => {
          if (withVersion && bytes.length > 0) bytes[0] = 1;
          decodesOrFailsCleanly(bytes);
        }),
        { numRuns: 2000 },
      );
    });

    it('fails cleanly on damaged columns behind a valid header and snappy framing', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 10, maxLength: 300 }), fc.nat({ max: 25 }), (body, rows) => {
          const compressed = compress(body);
          const header = new Writer();
          header.byte(1);
          header.uvarint(rows);
          header.zigzag(0);
          header.uvarint(1000);
          header.uvarint(body.length);
          header.raw(compressed);
          decodesOrFailsCleanly(header.bytes());
        }),
        { numRuns: 1000 },
      );
    });

    it('refuses huge claimed lengths before allocating', () => {
      const claim = (rows: number, columnsLength: number): Buffer => {
        const header = new Writer();
        header.byte(1);
        header.uvarint(rows);
        header.zigzag(0);
        header.uvarint(0);
        header.uvarint(columnsLength);
        header.raw(compress(Buffer.alloc(100)));
        return Buffer.from(header.bytes());
      };
      expect(() => decodeLogBlock(claim(1, 2 ** 40))).toThrow(/columns length 1099511627776 is more than/);
      expect(() => readLogBlockHeader(claim(2 ** 40, 100))).toThrow(/1099511627776 rows do not fit in 100 bytes/);
      expect(() => decodeLogBlock(claim(1, 150))).toThrow(LogBlockError);
      expect(() => readLogBlockHeader(Buffer.from([2]))).toThrow(/unknown format version 2/);
      expect(() => readLogBlockHeader(Buffer.alloc(0))).toThrow(/log block: truncated at byte 0/);
    });
  });
});
