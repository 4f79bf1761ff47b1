// The shapes of the components a topology file names: sources, steps, aggregate functions and sinks.
// Each component is one file with an option schema (defaults included) and a factory; registry.ts lists them.
import type { z } from 'zod';
import type { AvroCodec } from '../kafka/avro.ts';
import type { Aggregator, WindowResult, WindowSpec } from '../operators/index.ts';
import type { AssembledTrace } from '../operators/traces/model.ts';
import type { Attribute } from '../otlp/index.ts';
import type { SinkSpec, SourceSpec, Stream, WindowOptions } from '../runtime/index.ts';

/** What a source's items offer to filters and aggregations. */
export interface ItemFields<V = unknown> {
  /** Metric name, span name or log event name. */
  name(item: V): string;
  /** Metric type; only metric sources have one. */
  metricType?(item: V): string;
  attributes(item: V): readonly Attribute[];
  resource(item: V): readonly Attribute[];
  /** What makes an item the same item when it is sent twice, beside its key and event time (`dedup`). */
  identity(item: V): string;
  /** Numeric fields an aggregate can read; undefined when an item has none (e.g. `value` of a histogram point). */
  numbers: Readonly<Record<string, (item: V) => number | undefined>>;
}

/** A source type: options (without `type`, which is its registry name) and the DSL source it makes. */
export interface SourceComponent<S extends z.ZodObject = z.ZodObject, V = unknown> {
  readonly description: string;
  readonly options: S;
  readonly fields: ItemFields<V>;
  create(options: z.output<S>): SourceSpec<V>;
}

/** What a step receives and produces while a topology file compiles into DSL calls. */
export type Stage =
  | { kind: 'items'; stream: Stream<unknown> }
  /** A window waits for the aggregate that follows it (the DSL's windowedBy → aggregate). */
  | { kind: 'windowed'; stream: Stream<unknown>; windows: WindowSpec; options: WindowOptions }
  | { kind: 'results'; stream: Stream<WindowResult<string, unknown>>; function: AggregateFunction; settings: FunctionSettings }
  /** Assembled traces (the `assemble` step's output), for the steps that take whole traces (trace_index, tail_sample). */
  | { kind: 'traces'; stream: Stream<AssembledTrace> };

export type StageKind = Stage['kind'];

/** A rule broken by a step's options, relative to the step (`['field']`). */
export interface Finding {
  path: PropertyKey[];
  message: string;
}

/** What a step's cross-field check and factory can see. */
export interface StepContext {
  application: string;
  source: SourceComponent;
  sourceType: string;
  /** The stage the step receives. */
  input: StageKind;
}

/** A step type: where it may stand, what it produces, its rules and its DSL calls. */
export interface StepComponent<S extends z.ZodType = z.ZodType> {
  readonly options: S;
  /** Stages the step may follow, and what to say when it stands elsewhere. */
  readonly follows: readonly StageKind[];
  readonly misplaced: string;
  output(input: StageKind): StageKind;
  /**
   * The step turns items into those of another source type (spans → metric points): later steps see that source's
   * fields and type, as if the topology read it.
   */
  readonly itemsOf?: string;
  /** Whether the step writes results out (a topology needs at least one such step). */
  readonly writes?: boolean;
  /** Names the step takes that must be unique in a topology, e.g. `sink rollup_1m`. */
  claims?(options: z.output<S>): string[];
  /** Rules that need the source or the step's place (single-step rules live in the schema). */
  check?(options: z.output<S>, ctx: StepContext): Finding[];
  apply(stage: Stage, options: z.output<S>, ctx: StepContext): Stage;
}

/** Column types of aggregate fields, as PostgreSQL names them. */
export type FieldType = 'bigint' | 'double precision';

/** Settings of the aggregate step that some functions take (the rest refuse them). */
export interface FunctionSettings {
  /** Quantiles to report, each in [0, 1]; an empty list turns the quantile sketch off. */
  quantiles?: readonly number[];
}

/** An aggregate function: the operator's aggregator, and the named numbers each window result carries. */
export interface AggregateFunction<A = unknown> {
  readonly description: string;
  /** Whether it reads a numeric field (count does not). */
  readonly needsField: boolean;
  /** Whether it takes `quantiles`. */
  readonly takesQuantiles?: boolean;
  /** Output fields (JSON properties and sink columns) with their types. */
  readonly fields: Readonly<Record<string, FieldType>>;
  create(select: (item: unknown) => number, settings: FunctionSettings): Aggregator<unknown, A>;
  /** Numbers of a result for sink rows and JSON; null where the aggregate has none (NULL in a sink row). */
  values(aggregate: A): Record<string, number | null>;
  /** Results go to topics as Avro records of a registered schema instead of JSON (self-describing, e.g. Rollup). */
  readonly avro?: {
    codec(topic: string): AvroCodec<unknown>;
    record(result: WindowResult<string, A>, settings: FunctionSettings): unknown;
  };
}

/** What a sink factory gets besides its options: the stage it writes, and what that stage's values are. */
export type SinkComponentContext =
  | { application: string; stage: 'results'; function: AggregateFunction }
  | { application: string; stage: 'items'; fields: ItemFields };

/** A sink type: options (without `type`) and the DSL sink plus how a record of the stage becomes its row. */
export interface SinkComponent<S extends z.ZodObject = z.ZodObject> {
  readonly description: string;
  readonly options: S;
  /** The sink's name in the topology, for `--sink-target <name>=…` overrides. */
  name(options: z.output<S>): string;
  /** The source types whose items it writes, if it writes only those (e.g. rollup records); it then takes no window results. */
  readonly sources?: readonly string[];
  /** Rules that need the source or the sink's place (e.g. a sink that only writes rollups); paths relative to the step. */
  check?(options: z.output<S>, ctx: StepContext): Finding[];
  create(options: z.output<S>, ctx: SinkComponentContext): { spec: SinkSpec; row(value: unknown, key: string | null, timestamp: number): unknown };
}
