// Summary points → count, sum and the quantile values of the newest point (with its time). OTLP summary
// points are cumulative (count and sum since the start time) and their quantiles cannot be merged, so a
// partial is the newest point by time; merging keeps the newer one (ties: the later arrival). The
// partial also counts the points it saw.
import type { QuantileValue, SummaryPoint } from '../../otlp/model.ts';
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { hasRecordedValue } from './gauge.ts';
import { laterOf } from './time.ts';

/** The fields of a summary point the aggregator reads. */
export type SummaryPointFields = Pick<SummaryPoint, 'count' | 'sum' | 'quantileValues' | 'timeMs' | 'timeNanos' | 'startTimeMs' | 'startTimeNanos' | 'flags'>;

/** The newest summary point's values. */
export interface SummarySnapshot {
  readonly timeMs: number;
  readonly timeNanos: number;
  readonly startTimeMs: number;
  readonly startTimeNanos: number;
  readonly count: number;
  readonly sum: number;
  readonly quantileValues: readonly QuantileValue[];
}

export interface SummaryPointAggregate {
  readonly points: number;
  readonly last: SummarySnapshot | undefined;
}

export const emptySummaryPoints: SummaryPointAggregate = { points: 0, last: undefined };

export function addSummaryPoint(acc: SummaryPointAggregate, point: SummaryPointFields): SummaryPointAggregate {
  if (!hasRecordedValue(point)) return acc;
  const snapshot: SummarySnapshot = {
    timeMs: point.timeMs,
    timeNanos: point.timeNanos,
    startTimeMs: point.startTimeMs,
    startTimeNanos: point.startTimeNanos,
    count: point.count,
    sum: point.sum,
    quantileValues: point.quantileValues.map((q) => ({ quantile: q.quantile, value: q.value })),
  };
  return mergeSummaryPoints(acc, { points: 1, last: snapshot });
}

export function mergeSummaryPoints(left: SummaryPointAggregate, right: SummaryPointAggregate): SummaryPointAggregate {
  if (right.last === undefined) return left;
  if (left.last === undefined) return right;
  return { points: left.points + right.points, last: laterOf(left.last, right.last) };
}

const SUMMARY_FORMAT = 1;
// More quantile values than any producer sends; bounds decoding of garbage.
const MAX_QUANTILES = 1024;

export const summaryPointSerde: Serde<SummaryPointAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(SUMMARY_FORMAT);
    out.uvarint(acc.points);
    if (acc.last !== undefined) {
      const s = acc.last;
      out.int(s.timeMs);
      out.uvarint(s.timeNanos);
      out.int(s.startTimeMs);
      out.uvarint(s.startTimeNanos);
      out.uvarint(s.count);
      out.float64(s.sum);
      out.uvarint(s.quantileValues.length);
      for (const q of s.quantileValues) {
        out.float64(q.quantile);
        out.float64(q.value);
      }
    }
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'summary aggregate');
    expectVersion(input, SUMMARY_FORMAT);
    const points = input.uvarint();
    let last: SummarySnapshot | undefined;
    if (points > 0) {
      const timeMs = input.int();
      const timeNanos = nanos(input);
      const startTimeMs = input.int();
      const startTimeNanos = nanos(input);
      const count = input.uvarint();
      const sum = input.float64();
      const n = input.length(MAX_QUANTILES, 16);
      const quantileValues: QuantileValue[] = [];
      for (let i = 0; i < n; i++) quantileValues.push({ quantile: input.float64(), value: input.float64() });
      last = { timeMs, timeNanos, startTimeMs, startTimeNanos, count, sum, quantileValues };
    }
    input.end();
    return { points, last };
  },
};

/** Summary points: the newest point's count, sum and quantile values. */
export function summaryPointAggregator(): Aggregator<SummaryPointFields, SummaryPointAggregate> {
  return { init: () => emptySummaryPoints, add: addSummaryPoint, merge: mergeSummaryPoints, serde: summaryPointSerde };
}

function nanos(input: ByteReader): number {
  const value = input.uvarint();
  if (value > 999_999) throw input.error(`nanos ${value} above 999999`);
  return value;
}
