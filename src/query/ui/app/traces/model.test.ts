import { describe, expect, it } from 'vitest';
import { flattenTree, idToHex, logfmtValue, spansById, valueText, type AnalysisNode } from './model.ts';

// Hex → base64 as Tempo's JSON writes ids (btoa: the app's tsconfig has no Node types).
const b64 = (hex: string) => btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => parseInt(h, 16))));

const node = (spanId: string, children: AnalysisNode[] = []): AnalysisNode => ({
  spanId, parentSpanId: '', service: 's', name: spanId, kind: 'server', status: 'unset', startUnixNano: '1', durationNanos: '1', selfNanos: '1', children,
});

describe('the traces view model', () => {
  it('reads base64 ids as hex and keeps hex ids', () => {
    expect(idToHex(b64('0fdc7f12fa169e5e'))).toBe('0fdc7f12fa169e5e');
    expect(idToHex('0FDC7F12FA169E5EB2F38B96857D6FE7')).toBe('0fdc7f12fa169e5eb2f38b96857d6fe7');
    expect(idToHex(undefined)).toBe('');
  });

  it('indexes the OTLP JSON spans by hex id with their resource, scope, events and links', () => {
    const spans = spansById({
      batches: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
        scopeSpans: [{
          scope: { name: 'lib', version: '1.0' },
          spans: [{
            spanId: b64('00000000000000aa'), parentSpanId: b64('00000000000000bb'), name: 'GET', kind: 2,
            attributes: [{ key: 'http.status', value: { intValue: '200' } }],
            events: [{ timeUnixNano: '5', name: 'retry' }],
            links: [{ traceId: b64('0123456789abcdef0123456789abcdef'), spanId: b64('00000000000000cc') }],
            status: { code: 2, message: 'boom' },
          }],
        }],
      }],
    });
    const s = spans.get('00000000000000aa')!;
    expect(s).toMatchObject({ parentSpanId: '00000000000000bb', kind: 2, status: { code: 2, message: 'boom' }, scope: { name: 'lib', version: '1.0' } });
    expect(s.resource[0].key).toBe('service.name');
    expect(s.events).toEqual([{ timeUnixNano: '5', name: 'retry', attributes: [] }]);
    expect(s.links[0]).toMatchObject({ traceId: '0123456789abcdef0123456789abcdef', spanId: '00000000000000cc' });
  });

  it('flattens the analysis tree without its children', () => {
    const flat = flattenTree([node('a', [node('b', [node('c')])]), node('d')]);
    expect(flat.map((s) => s.spanId).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect('children' in flat[0]).toBe(false);
  });

  it('writes values and logfmt', () => {
    expect(valueText({ arrayValue: { values: [{ intValue: '1' }, { boolValue: true }] } })).toBe('[1, true]');
    expect(valueText({ kvlistValue: { values: [{ key: 'k', value: { doubleValue: 1.5 } }] } })).toBe('{k: 1.5}');
    expect(logfmtValue('/cart')).toBe('/cart');
    expect(logfmtValue('GET /x')).toBe('"GET /x"');
  });
});
