import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Span } from '../../otlp/index.ts';
import { shapeDifferences } from '../testing/shape.ts';
import {
  jaegerDependenciesResponse, jaegerErrorResponse, jaegerKeyValue, jaegerOperationNamesResponse, jaegerOperationsResponse, jaegerServicesResponse,
  jaegerTrace, jaegerTracesResponse, NO_SERVICE_NAME,
} from './format.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../test/fixtures/query/jaeger/${name}`, import.meta.url), 'utf8'));
const MAPS = ['$.data[].processes'];
const expectShape = (actual: unknown, name: string) => expect(shapeDifferences(JSON.parse(JSON.stringify(actual)), fixture(name), MAPS)).toEqual([]);

const resource = {
  attributes: [{ key: 'service.name', type: 'string' as const, value: 'checkout' }, { key: 'host.name', type: 'string' as const, value: 'node-7' }],
  droppedAttributesCount: 0, entityRefs: [], schemaUrl: '',
};
const scope = { name: 'io.opentelemetry.http', version: '1.2.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const span = (id: string, parent: string, extra: Partial<Span> = {}): Span => ({
  resource, scope, traceId: '5b8efff798038103d269b633813fc60c', spanId: id, traceState: '', parentSpanId: parent, flags: 0x101, name: 'charge card', kind: 3,
  startTimeMs: 1_700_000_000_200, startTimeNanos: 999, endTimeMs: 1_700_000_000_450, endTimeNanos: 999,
  attributes: [{ key: 'http.status_code', type: 'int', value: 502 }], droppedAttributesCount: 0,
  events: [{ timeMs: 1_700_000_000_300, timeNanos: 0, name: 'retry', attributes: [], droppedAttributesCount: 0 }], droppedEventsCount: 0,
  links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '', ...extra,
});

describe('Jaeger response shapes', () => {
  it('traces: spans, references, tags, logs, processes', () => {
    const body = jaegerTracesResponse([[span('eee19b7ec3c1b173', ''), span('eee19b7ec3c1b174', 'eee19b7ec3c1b173', { statusCode: 2 })]]);
    expectShape(body, 'traces.json');
    const s = body.data[0].spans[1];
    expect(s).toMatchObject({ startTime: 1_700_000_000_200_000, duration: 250_000, flags: 1, processID: 'p1' });
    expect(body.data[0].processes.p1).toEqual({ serviceName: 'checkout', tags: [{ key: 'host.name', type: 'string', value: 'node-7' }] });
  });

  it('translates kind, status, scope, links and missing parents as OpenTelemetry data appears in Jaeger', () => {
    const t = jaegerTrace([
      span('0000000000000001', '', {
        kind: 2, statusCode: 2, statusMessage: 'boom', traceState: 'a=b',
        links: [{ traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }],
      }),
      span('0000000000000002', '0000000000000009', { kind: 0, statusCode: 1, resource: { ...resource, attributes: [] } }),
    ]);
    const [root, orphan] = t.spans;
    expect(root.references).toEqual([{ refType: 'FOLLOWS_FROM', traceID: 'f'.repeat(32), spanID: 'e'.repeat(16) }]);
    expect(root.tags.slice(1)).toEqual([
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'boom' },
      { key: 'otel.scope.name', type: 'string', value: 'io.opentelemetry.http' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.0' },
      { key: 'w3c.tracestate', type: 'string', value: 'a=b' },
    ]);
    expect(orphan.tags.map((x) => x.key)).toEqual(['http.status_code', 'otel.status_code', 'otel.scope.name', 'otel.scope.version']);
    expect(orphan.warnings).toEqual(['parent span 0000000000000009 is not in the trace']);
    expect(orphan.processID).toBe('p2');
    expect(t.processes.p2).toEqual({ serviceName: NO_SERVICE_NAME, tags: [] });
  });

  it('tag values by type', () => {
    expect(jaegerKeyValue('k', { type: 'int', value: 2n ** 60n })).toEqual({ key: 'k', type: 'string', value: '1152921504606846976' });
    expect(jaegerKeyValue('k', { type: 'double', value: 1.5 })).toEqual({ key: 'k', type: 'float64', value: 1.5 });
    expect(jaegerKeyValue('k', { type: 'double', value: Number.NaN })).toEqual({ key: 'k', type: 'string', value: 'NaN' });
    expect(jaegerKeyValue('k', { type: 'bytes', value: new Uint8Array([1, 2]) })).toEqual({ key: 'k', type: 'binary', value: 'AQI=' });
    expect(jaegerKeyValue('k', { type: 'array', value: [{ type: 'string', value: 'a' }] })).toEqual({ key: 'k', type: 'string', value: '["a"]' });
  });

  it('services, operations, dependencies and errors', () => {
    expectShape(jaegerServicesResponse(['frontend', 'checkout', 'frontend']), 'services.json');
    expect(jaegerServicesResponse(['b', 'a', 'b']).data).toEqual(['a', 'b']);
    expectShape(jaegerOperationNamesResponse(['GET /cart']), 'operation-names.json');
    expectShape(jaegerOperationsResponse([{ name: 'POST /orders', spanKind: 'server' }]), 'operations.json');
    const deps = jaegerDependenciesResponse([
      { parent: 'frontend', child: 'checkout', calls: 2 },
      { parent: 'frontend', child: 'checkout', calls: 3 },
      { parent: 'checkout', child: 'db', calls: 1 },
    ]);
    expectShape(deps, 'dependencies.json');
    expect(deps.data).toEqual([{ parent: 'checkout', child: 'db', callCount: 1 }, { parent: 'frontend', child: 'checkout', callCount: 5 }]);
    expectShape(jaegerErrorResponse(404, 'trace not found'), 'trace-not-found.json');
  });
});
