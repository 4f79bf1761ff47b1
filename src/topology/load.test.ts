import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile, parseTopology } from './load.ts';
import { formatProblem } from './problems.ts';

const TOPOLOGIES = 'topologies';

describe('topology files', () => {
  const examples = readdirSync(TOPOLOGIES).filter((f) => f.endsWith('.yaml'));

  it('has examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['metrics-rollup.yaml', 'span-counts.yaml', 'rollup-10s.yaml']));
  });

  it.each(examples)('%s loads and compiles', (name) => {
    const result = loadTopologyFile(join(TOPOLOGIES, name));
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it('fills in defaults from the schema', () => {
    const result = parseTopology('application: a\nsource: {type: otlp_spans}\nsteps:\n  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: count}\n  - to: {topic: out}\n', 'x.yaml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.spec.source).toEqual({ type: 'otlp_spans', topic: 'otlp_spans', encoding: 'auto' });
    expect(result.spec.steps[0]).toEqual({ window: { type: 'tumbling', size: 60_000, grace: 0, emit: 'final' } });
    expect(result.spec.steps[1]).toEqual({ aggregate: { function: 'count', store: 'windows' } });
    expect(result.spec.steps[2]).toEqual({ to: { topic: 'out', compacted: false, key: 'key', partition: 'key' } });
    expect(result.topology.stores.map((s) => s.name)).toEqual(['windows']);
    expect(result.topology.outputs).toEqual(expect.arrayContaining([{ topic: 'out', compacted: false }, { topic: 'a.late' }]));
  });

  it('names a file it cannot read', () => {
    const result = loadTopologyFile('topologies/does-not-exist.yaml');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual(['topologies/does-not-exist.yaml:1:1 cannot read topology file: no such file']);
  });
});

// Each case: the steps (under a fixed header, so step lines start at line 5) or a whole file, and the expected problems.
const header = (source = 'type: otlp_metrics') => `application: app\nsource:\n  ${source}\nsteps:\n`;
const closing = '  - aggregate: {function: count}\n  - to: {topic: out}\n';

const invalid: Array<[string, string, string[]]> = [
  ['a bad duration', header() + '  - window:\n      type: tumbling\n      size: fast\n' + closing,
    ['x.yaml:7:13 steps[0].window.size: expected a duration like "1m", got "fast"']],
  ['a misspelt key', header() + '  - window:\n      type: tumbling\n      size: 1m\n      grcae: 5s\n' + closing,
    ['x.yaml:8:7 steps[0].window.grcae: unknown key']],
  ['a hopping window without advance', header() + '  - window:\n      type: hopping\n      size: 1m\n' + closing,
    ['x.yaml:6:7 steps[0].window.advance: a hopping window needs advance']],
  ['advance larger than size', header() + '  - window: {type: hopping, size: 1m, advance: 2m}\n' + closing,
    ['x.yaml:5:48 steps[0].window.advance: advance must not be larger than size']],
  ['a session window with a size', header() + '  - window: {type: session, size: 1m}\n' + closing,
    ['x.yaml:5:13 steps[0].window.gap: a session window needs gap', 'x.yaml:5:35 steps[0].window.size: a session window takes gap, not size']],
  ['update emission of sessions', header() + '  - window: {type: session, gap: 1m, emit: update}\n' + closing,
    ['x.yaml:5:44 steps[0].window.emit: session windows emit final results only']],
  ['an unknown window type', header() + '  - window: {type: sliding, size: 1m}\n' + closing,
    ['x.yaml:5:20 steps[0].window.type: expected one of tumbling, hopping, session, got "sliding"']],
  ['an aggregate without a window', header() + closing,
    ['x.yaml:5:16 steps[0].aggregate: aggregate must come right after a window step']],
  ['a window without an aggregate', header() + '  - window: {type: tumbling, size: 1m}\n  - to: {topic: out}\n',
    ['x.yaml:5:13 steps[0].window: a window needs an aggregate step right after it']],
  ['a window at the end', header() + '  - to: {topic: out}\n  - window: {type: tumbling, size: 1m}\n',
    ['x.yaml:6:13 steps[1].window: a window needs an aggregate step right after it']],
  ['an unknown source type', header('type: kafka') + '  - to: {topic: out}\n',
    ['x.yaml:3:9 source.type: expected one of otlp_metrics, otlp_spans, otlp_logs, otlp_rollup, got "kafka"']],
  ['a source without type', header('topic: x') + '  - to: {topic: out}\n',
    ['x.yaml:3:3 source.type: required: expected one of otlp_metrics, otlp_spans, otlp_logs, otlp_rollup']],
  ['an unknown aggregate function', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: avg, field: value}\n  - to: {topic: out}\n',
    ['x.yaml:6:27 steps[1].aggregate.function: expected one of count, sum, min, max, last, summary, metric, got "avg"']],
  ['a field the source lacks', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: sum, field: duration_ms}\n  - to: {topic: out}\n',
    ['x.yaml:6:39 steps[1].aggregate.field: otlp_metrics items have no field "duration_ms"; expected one of value, count, sum']],
  ['sum without a field', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: sum}\n  - to: {topic: out}\n',
    ['x.yaml:6:16 steps[1].aggregate.field: sum needs a field; otlp_metrics items have value, count, sum']],
  ['a metric type filter on spans', header('type: otlp_spans') + '  - filter: {type: gauge}\n  - to: {topic: out}\n',
    ['x.yaml:5:20 steps[0].filter.type: otlp_spans items have no metric type; "type" filters otlp_metrics points']],
  ['an empty filter', header() + '  - filter: {}\n  - to: {topic: out}\n',
    ['x.yaml:5:13 steps[0].filter: a filter needs at least one of name, type, attributes, resource']],
  ['a nested attribute value', header() + '  - filter: {attributes: {host: {a: 1}}}\n  - to: {topic: out}\n',
    ['x.yaml:5:33 steps[0].filter.attributes.host: expected a value or a list of them, got a mapping']],
  ['two steps in one', header() + '  - window: {type: tumbling, size: 1m}\n    aggregate: {function: count}\n  - to: {topic: out}\n',
    ['x.yaml:5:5 steps[0]: a step has exactly one of filter, dedup, series, compress, spanmetrics, servicegraph, assemble, trace_index, tail_sample, log_index, window, aggregate, to, sink; got window, aggregate']],
  ['an unknown step', header() + '  - windw: {type: tumbling, size: 1m}\n  - to: {topic: out}\n',
    ['x.yaml:5:12 steps[0].windw: unknown step; expected one of filter, dedup, series, compress, spanmetrics, servicegraph, assemble, trace_index, tail_sample, log_index, window, aggregate, to, sink']],
  ['an empty step', header() + '  - window:\n  - to: {topic: out}\n',
    ['x.yaml:5:12 steps[0].window: expected a mapping, got null']],
  ['no output', header() + '  - filter: {name: x}\n',
    ['x.yaml:5:3 steps: nothing is written: add a to or sink step']],
  ['a dedup without a horizon', header() + '  - dedup: {store: seen}\n  - to: {topic: out}\n',
    ['x.yaml:5:12 steps[0].dedup.horizon: expected a duration like "1m", got undefined']],
  ['a dedup after the aggregate', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: count}\n  - dedup: {horizon: 1m}\n  - to: {topic: out}\n',
    ['x.yaml:7:12 steps[2].dedup: dedup drops repeated source items, so it must come before the window step']],
  ['a sink between window and aggregate', header() + '  - window: {type: tumbling, size: 1m}\n  - sink: {type: postgres, table: t}\n  - aggregate: {function: count}\n',
    ['x.yaml:5:13 steps[0].window: a window needs an aggregate step right after it', 'x.yaml:7:16 steps[2].aggregate: aggregate must come right after a window step']],
  ['a bad table name', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: count}\n  - sink: {type: postgres, table: Bad-Table}\n',
    ['x.yaml:7:35 steps[2].sink.table: expected a lower-case SQL identifier, optionally schema-qualified (rollup_1m, metrics.rollup_1m), got "Bad-Table"']],
  ['a remote_write sink on metric points', header() + '  - sink: {type: remote_write}\n',
    ['x.yaml:5:18 steps[0].sink.type: the remote_write sink writes otlp_rollup items, not otlp_metrics items']],
  ['an influx sink after an aggregate', header('{type: otlp_rollup, topic: otlp.rollup.1m}') + '  - window: {type: tumbling, size: 5m}\n  - aggregate: {function: metric}\n  - sink: {type: influx}\n',
    ['x.yaml:7:18 steps[2].sink.type: the influx sink writes otlp_rollup items, not window results']],
  ['an influx tag with a backslash', header('{type: otlp_rollup, topic: otlp.rollup.1m}') + '  - sink: {type: influx, tags: [a\\b]}\n',
    ['x.yaml:5:33 steps[0].sink.tags[0]: expected a tag name without backslashes or control characters, got "a\\\\b"']],
  ['two sinks of one name', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: count}\n  - sink: {type: postgres, table: t}\n  - sink: {type: postgres, table: t}\n',
    ['x.yaml:8:11 steps[3].sink: sink "t" is already used by steps[2]']],
  ['a rollup sink after another source', header() + '  - sink: {type: postgres_rollup, resolution: 1m}\n',
    ['x.yaml:5:18 steps[0].sink.type: the postgres_rollup sink writes otlp_rollup items, not otlp_metrics items']],
  ['a rollup sink after an aggregate', header() + '  - window: {type: tumbling, size: 1m}\n  - aggregate: {function: count}\n  - sink: {type: postgres_rollup, resolution: 1m}\n',
    ['x.yaml:7:18 steps[2].sink.type: the postgres_rollup sink writes otlp_rollup items, not window results']],
  ['a parquet sink on raw points', header() + '  - sink: {type: parquet, dir: out, resolution: 1m}\n',
    ['x.yaml:5:18 steps[0].sink.type: the parquet sink writes otlp_rollup items, not otlp_metrics items']],
  ['a parquet sink after an aggregate', 'application: app\nsource: {type: otlp_rollup, topic: r}\nsteps:\n  - window: {type: tumbling, size: 1h}\n  - aggregate: {function: metric}\n  - sink: {type: parquet, dir: out, resolution: 1h}\n',
    ['x.yaml:6:18 steps[2].sink.type: the parquet sink writes otlp_rollup items, not window results']],
  ['a parquet retention shorter than an hour', 'application: app\nsource: {type: otlp_rollup, topic: r}\nsteps:\n  - sink: {type: parquet, dir: out, resolution: 1m, retention: 30m}\n',
    ['x.yaml:4:64 steps[0].sink.retention: retention deletes whole hour directories: use at least 1h']],
  ['window keys before the aggregate', header() + '  - to: {topic: out, key: window}\n',
    ['x.yaml:5:27 steps[0].to.key: key "window" needs window results: put this step after the aggregate']],
  ['a bad topic name', header() + '  - to: {topic: "a b"}\n',
    ['x.yaml:5:17 steps[0].to.topic: expected a Kafka topic name (letters, digits, \'.\', \'_\', \'-\'), got "a b"']],
  ['a bad application id', 'application: "my app"\nsource: {type: otlp_metrics}\nsteps:\n  - to: {topic: out}\n',
    ['x.yaml:1:14 application: may only use letters, digits, \'.\', \'_\' and \'-\' (it names topics and the consumer group), got "my app"']],
  ['no source', 'application: app\nsteps:\n  - to: {topic: out}\n',
    ['x.yaml:1:1 source: required: expected a mapping']],
  ['steps as a mapping', 'application: app\nsource: {type: otlp_metrics}\nsteps: {to: {topic: out}}\n',
    ['x.yaml:3:8 steps: expected a list of steps, got a mapping']],
  ['a YAML syntax error', 'application: app\nsource: {type: otlp_metrics\nsteps: []\n',
    ['x.yaml:3:1 Flow map in block collection must be sufficiently indented and end with a }']],
  ['a duplicate key', 'application: app\napplication: b\n',
    ['x.yaml:2:1 Map keys must be unique']],
  ['an empty file', '',
    ['x.yaml:1:1 expected a mapping with application, source and steps']],
  ['trace_index without assemble', header('type: otlp_spans') + '  - trace_index: {}\n',
    ['x.yaml:5:18 steps[0].trace_index: trace_index indexes assembled traces, so it comes after an assemble step']],
  ['assemble of metric points', header() + '  - assemble: {}\n  - trace_index: {}\n',
    ['x.yaml:5:15 steps[0].assemble: assemble reads spans: it needs an otlp_spans source, not otlp_metrics']],
];

describe('invalid topology files', () => {
  it.each(invalid)('%s', (_, text, expected) => {
    const result = parseTopology(text, 'x.yaml');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual(expected);
  });
});
