import { describe, expect, it } from 'vitest';
import { searchParams, withParams } from './query.ts';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('searchParams', () => {
  it('turns service and operation into logfmt tags next to the extra tags, with the range in seconds', () => {
    const p = new URLSearchParams({ service: 'checkout', operation: 'POST /cart', tags: 'http.route=/cart', minDuration: '100ms', range: '15m' });
    expect(searchParams(p, NOW)).toEqual({
      tags: 'service.name=checkout name="POST /cart" http.route=/cart',
      minDuration: '100ms',
      start: String(NOW / 1000 - 900),
      end: String(NOW / 1000),
      limit: '50',
    });
  });

  it('sends TraceQL alone (durations and range kept), absolute ms bounds as seconds', () => {
    const p = new URLSearchParams({ q: '{ status = error }', service: 'ignored', start: '1764849600500', end: '1764853200900', maxDuration: '2s', limit: '10' });
    expect(searchParams(p, NOW)).toEqual({ q: '{ status = error }', maxDuration: '2s', start: '1764849600', end: '1764853200', limit: '10' });
  });

  it('quotes values with spaces or quotes', () => {
    expect(searchParams(new URLSearchParams({ operation: 'say "hi"' }), NOW).tags).toBe('name="say \\"hi\\""');
  });
});

describe('withParams', () => {
  it('applies changes and drops emptied parameters', () => {
    expect(withParams(new URLSearchParams({ service: 'a', trace: 'x' }), { trace: '', q: 'y' })).toEqual({ service: 'a', q: 'y' });
  });
});
