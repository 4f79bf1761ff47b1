// The pieces of the policies the oracle test takes on trust: the trace-id hash and the percentage threshold, and
// where attribute policies look (span and resource attributes, unanchored regexes, inversion).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembled, BASE, type TestTrace } from '../../../test/fixtures/tailSampling.ts';
import { compilePolicy, probabilityThreshold, traceIdHash, type Policy, type PolicyContext } from './tailSamplingPolicies.ts';

const hexId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));

describe('trace id hash', () => {
  it('is a 64-bit value that depends on the id and the salt only', () => {
    fc.assert(
      fc.property(hexId, fc.string(), (id, salt) => {
        const h = traceIdHash(id, salt);
        expect(h >= 0n && h < 1n << 64n).toBe(true);
        expect(traceIdHash(id, salt)).toBe(h);
      }),
    );
  });

  it('spreads sequential ids evenly (16 buckets, chi-square well under the 0.1 % critical value)', () => {
    const buckets = new Array<number>(16).fill(0);
    const n = 16_000;
    for (let i = 0; i < n; i++) buckets[Number(traceIdHash(i.toString(16).padStart(32, '0')) >> 60n)]++;
    const expected = n / 16;
    const chi = buckets.reduce((sum, b) => sum + (b - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(37.7); // 15 degrees of freedom, p = 0.001
  });

  it('thresholds: 0 % keeps nothing, 100 % everything, and they grow with the percentage', () => {
    expect(probabilityThreshold(0)).toBe(0n);
    expect(probabilityThreshold(100)).toBe(1n << 64n);
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (a, b) => {
      if (a <= b) expect(probabilityThreshold(a) <= probabilityThreshold(b)).toBe(true);
    }));
    expect(() => probabilityThreshold(101)).toThrow(/\[0, 100\]/);
    expect(() => probabilityThreshold(Number.NaN)).toThrow(/\[0, 100\]/);
  });
});

describe('attribute policies', () => {
  const trace: TestTrace = {
    traceId: '0123456789abcdef0123456789abcdef',
    fragments: [{ at: BASE, spans: [{ spanId: 'aaaaaaaaaaaaaaaa', parentSpanId: '', service: 'checkout', name: 'GET', status: 0, startMs: BASE, endMs: BASE, route: '/api/pay', httpStatus: 503, forced: true }] }],
  };
  const item = assembled(trace, 0);
  const none: PolicyContext = { streamTime: BASE, budget: () => undefined, spend: () => {} };
  // Omit over the union, member by member.
  type Unnamed = Policy extends infer P ? (P extends Policy ? Omit<P, 'name'> : never) : never;
  const decide = (p: Unnamed) => compilePolicy({ name: 'p', ...p } as Policy)(item, none);

  it('read span attributes and resource attributes', () => {
    expect(decide({ type: 'string_attribute', key: 'http.route', values: ['/api/pay'] })).toBe(true);
    expect(decide({ type: 'string_attribute', key: 'service.name', values: ['checkout'] })).toBe(true);
    expect(decide({ type: 'string_attribute', key: 'service.name', values: ['cart'] })).toBe(false);
    expect(decide({ type: 'string_attribute', key: 'service.name', values: ['cart'], invert: true })).toBe(true);
  });

  it('match regexes anywhere in the value unless anchored', () => {
    expect(decide({ type: 'string_attribute', key: 'http.route', values: ['pay'], regex: true })).toBe(true);
    expect(decide({ type: 'string_attribute', key: 'http.route', values: ['^pay$'], regex: true })).toBe(false);
    // Without regex matching, a pattern is just text.
    expect(decide({ type: 'string_attribute', key: 'http.route', values: ['/api/.*'] })).toBe(false);
  });

  it('compare by type: a number is not a string, a boolean not a number', () => {
    expect(decide({ type: 'numeric_attribute', key: 'http.response.status_code', min: 500, max: 599 })).toBe(true);
    expect(decide({ type: 'string_attribute', key: 'http.response.status_code', values: ['503'] })).toBe(false);
    expect(decide({ type: 'numeric_attribute', key: 'app.force_sample', min: 0 })).toBe(false);
    expect(decide({ type: 'boolean_attribute', key: 'app.force_sample', value: true })).toBe(true);
  });
});
