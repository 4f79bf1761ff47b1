// Gauge points → count, sum, min, max, avg, last (with its time) and quantiles (DDSketch, 1 %).
import type { NumberPoint } from '../../otlp/model.ts';
import { NO_RECORDED_VALUE_FLAG } from '../../otlp/model.ts';
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { emptyExactSum, exactAdd, exactMerge, exactValue, readExactSum, writeExactSum } from './exactSum.ts';
import type { ExactSum } from './exactSum.ts';
import { emptySketch, readSketch, sketchAdd, sketchMerge, sketchQuantile, writeSketch } from './quantileSketch.ts';
import type { QuantileSketch } from './quantileSketch.ts';
import { laterOf } from './time.ts';
import type { PointTime } from './time.ts';

/** The fields of a gauge (or sum) point the aggregators read; a decoded NumberPoint has them. */
export type NumberPointFields = Pick<NumberPoint, 'value' | 'timeMs' | 'timeNanos' | 'startTimeMs' | 'startTimeNanos' | 'flags'>;

/** A value with its point's time. */
export interface TimedValue extends PointTime {
  readonly value: number;
}

/** Mergeable partial of gauge points. */
export interface GaugeAggregate {
  readonly count: number;
  readonly sum: ExactSum;
  readonly min: number;
  readonly max: number;
  /** The value with the latest point time; ties go to the later arrival. Undefined when empty. */
  readonly last: TimedValue | undefined;
  readonly sketch: QuantileSketch;
}

/** What a gauge partial reads as. */
export interface GaugeResult {
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number;
  last: TimedValue | undefined;
  /** Quantile → value, for each quantile asked for. */
  quantiles: Map<number, number>;
}

/** The quantiles a result reports unless others are asked for. */
export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99];

/** Points flagged "no recorded value" mark a gap: they carry no value and are skipped. */
export function hasRecordedValue(point: { flags: number }): boolean {
  return (point.flags & NO_RECORDED_VALUE_FLAG) === 0;
}

/** A number point's value as a double (an int64 beyond 2^53 rounds). */
export function numberValue(point: Pick<NumberPoint, 'value'>): number {
  return Number(point.value);
}

export const emptyGauge: GaugeAggregate = {
  count: 0,
  sum: emptyExactSum,
  min: Infinity,
  max: -Infinity,
  last: undefined,
  sketch: emptySketch(),
};

/** Adds one gauge point. */
export function addGaugePoint(acc: GaugeAggregate, point: NumberPointFields): GaugeAggregate {
  return addGauge(acc, point, true);
}

/** Adds one gauge point without sketching it: the sketch stays empty and quantiles read NaN. */
export function addUnsketchedGaugePoint(acc: GaugeAggregate, point: NumberPointFields): GaugeAggregate {
  return addGauge(acc, point, false);
}

function addGauge(acc: GaugeAggregate, point: NumberPointFields, sketched: boolean): GaugeAggregate {
  if (!hasRecordedValue(point)) return acc;
  const value = numberValue(point);
  const at: TimedValue = { timeMs: point.timeMs, timeNanos: point.timeNanos, value };
  return {
    count: acc.count + 1,
    sum: exactAdd(acc.sum, value),
    min: Math.min(acc.min, value),
    max: Math.max(acc.max, value),
    last: acc.last === undefined ? at : laterOf(acc.last, at),
    sketch: sketched ? sketchAdd(acc.sketch, value) : acc.sketch,
  };
}

/** Merges two gauge partials; `right` holds the later arrivals (it wins ties of `last`). */
export function mergeGauges(left: GaugeAggregate, right: GaugeAggregate): GaugeAggregate {
  if (right.count === 0) return left;
  if (left.count === 0) return right;
  return {
    count: left.count + right.count,
    sum: exactMerge(left.sum, right.sum),
    min: Math.min(left.min, right.min),
    max: Math.max(left.max, right.max),
    last: left.last === undefined ? right.last : right.last === undefined ? left.last : laterOf(left.last, right.last),
    sketch: sketchMerge(left.sketch, right.sketch),
  };
}

/** Reads a gauge partial; `avg` is NaN when empty. */
export function gaugeResult(acc: GaugeAggregate, quantiles: readonly number[] = DEFAULT_QUANTILES): GaugeResult {
  const sum = exactValue(acc.sum);
  return {
    count: acc.count,
    sum,
    min: acc.min,
    max: acc.max,
    avg: acc.count === 0 ? NaN : sum / acc.count,
    last: acc.last,
    quantiles: new Map(quantiles.map((q) => [q, sketchQuantile(acc.sketch, q)])),
  };
}

const GAUGE_FORMAT = 1;

/** Changelog encoding of a gauge partial. */
export const gaugeSerde: Serde<GaugeAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(GAUGE_FORMAT);
    writeGaugeFields(out, acc);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'gauge aggregate');
    expectVersion(input, GAUGE_FORMAT);
    const acc = readGaugeFields(input);
    input.end();
    return acc;
  },
};

/** Gauge points: count, sum, min, max, avg, last and (sketched) quantiles, mergeable exactly. */
export function gaugeAggregator(options: { sketch?: boolean } = {}): Aggregator<NumberPointFields, GaugeAggregate> {
  return { init: () => emptyGauge, add: options.sketch === false ? addUnsketchedGaugePoint : addGaugePoint, merge: mergeGauges, serde: gaugeSerde };
}

export function writeGaugeFields(out: ByteWriter, acc: GaugeAggregate): void {
  out.uvarint(acc.count);
  writeExactSum(out, acc.sum);
  out.float64(acc.min);
  out.float64(acc.max);
  writeTimedValue(out, acc.last);
  writeSketch(out, acc.sketch);
}

export function readGaugeFields(input: ByteReader): GaugeAggregate {
  const count = input.uvarint();
  const sum = readExactSum(input);
  const min = input.float64();
  const max = input.float64();
  const last = readTimedValue(input);
  const sketch = readSketch(input);
  if ((last === undefined) !== (count === 0)) throw input.error('last value and count disagree');
  return { count, sum, min, max, last, sketch };
}

export function writeTimedValue(out: ByteWriter, value: TimedValue | undefined): void {
  if (value === undefined) {
    out.uvarint(0);
    return;
  }
  out.uvarint(1);
  out.int(value.timeMs);
  out.uvarint(value.timeNanos);
  out.float64(value.value);
}

export function readTimedValue(input: ByteReader): TimedValue | undefined {
  const present = input.byte();
  if (present === 0) return undefined;
  if (present !== 1) throw input.error(`bad presence byte ${present}`);
  const timeMs = input.int();
  const timeNanos = input.uvarint();
  if (timeNanos > 999_999) throw input.error(`nanos ${timeNanos} above 999999`);
  return { timeMs, timeNanos, value: input.float64() };
}
