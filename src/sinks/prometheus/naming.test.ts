import { describe, expect, it } from 'vitest';
import { attributeString, formatFloat, prometheusLabelName, prometheusMetricName, type NamedMetric } from './naming.ts';

// Cases as the Collector's prometheusremotewrite exporter names them (name normalization on, no namespace).
const names: Array<[string, string, NamedMetric['shape'], string]> = [
  ['system.filesystem.usage', 'By', 'gauge', 'system_filesystem_usage_bytes'],
  ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio'],
  ['http.server.duration', 'ms', 'other', 'http_server_duration_milliseconds'],
  ['http.server.request.duration', 's', 'other', 'http_server_request_duration_seconds'],
  ['http.server.requests', '{request}', 'counter', 'http_server_requests_total'],
  ['system.network.io', 'By', 'counter', 'system_network_io_bytes_total'],
  ['requests_total', '1', 'counter', 'requests_total'],
  ['total.requests', '', 'counter', 'requests_total'],
  ['system.network.rate', 'By/s', 'gauge', 'system_network_rate_bytes_per_second'],
  ['speed', 'km/h', 'gauge', 'speed_km_per_hour'],
  ['queue.length', '1', 'other', 'queue_length'],
  ['processes.created', '1', 'counter', 'processes_created_total'],
  ['2xx.responses', '', 'counter', '_2xx_responses_total'],
  ['seconds.elapsed', 's', 'gauge', 'seconds_elapsed'],
  ['room.temperature', 'Cel', 'gauge', 'room_temperature_celsius'],
  ['disk io', 'MiBy', 'counter', 'disk_io_mebibytes_total'],
  ['weird/name-with:chars..', 'widgets', 'gauge', 'weird_name_with_chars_widgets'],
  ['memory.used', '%', 'gauge', 'memory_used_percent'],
  ['things', 'count/{s}', 'gauge', 'things_count'],
  ['cache.hit.ratio', '1', 'gauge', 'cache_hit_ratio'],
  ['jvm.gc.time', 'ms', 'counter', 'jvm_gc_time_milliseconds_total'],
  ['up', '', 'gauge', 'up'],
];

describe('prometheusMetricName (Collector normalization)', () => {
  it.each(names)('%s [%s] as %s → %s', (name, unit, shape, expected) => {
    expect(prometheusMetricName({ name, unit, shape })).toBe(expected);
  });
});

const labels: Array<[string, string]> = [
  ['service.name', 'service_name'],
  ['http-method', 'http_method'],
  ['k8s.pod.name', 'k8s_pod_name'],
  ['2xx', 'key_2xx'],
  ['_private', 'key_private'],
  ['__reserved', '__reserved'],
  ['ok_name', 'ok_name'],
  ['région', 'r_gion'],
  ['a b=c', 'a_b_c'],
  ['', ''],
];

describe('prometheusLabelName', () => {
  it.each(labels)('%j → %j', (key, expected) => {
    expect(prometheusLabelName(key)).toBe(expected);
  });
});

describe('formatFloat (Go FormatFloat f, -1)', () => {
  it.each([
    [0.005, '0.005'],
    [10, '10'],
    [1e21, '1000000000000000000000'],
    [-2.5e22, '-25000000000000000000000'],
    [1e-7, '0.0000001'],
    [1.5e-10, '0.00000000015'],
    [0.99, '0.99'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%d → %s', (v, s) => {
    expect(formatFloat(v)).toBe(s);
    if (Number.isFinite(v)) expect(Number(s)).toBe(v);
  });
});

describe('attributeString', () => {
  it('writes every value type the way the Collector does', () => {
    expect(attributeString({ type: 'string', value: 'x' })).toBe('x');
    expect(attributeString({ type: 'bool', value: true })).toBe('true');
    expect(attributeString({ type: 'int', value: 9007199254740993n })).toBe('9007199254740993');
    expect(attributeString({ type: 'double', value: 1e-7 })).toBe('0.0000001');
    expect(attributeString({ type: 'bytes', value: new Uint8Array([1, 2, 3]) })).toBe('AQID');
    expect(attributeString({ type: 'array', value: [{ type: 'string', value: 'a' }, { type: 'int', value: 1 }] })).toBe('["a",1]');
    expect(attributeString({ type: 'kvlist', value: [{ key: 'k', type: 'bool', value: false }] })).toBe('{"k":false}');
    expect(attributeString({ type: 'empty', value: null })).toBe('');
  });
});
