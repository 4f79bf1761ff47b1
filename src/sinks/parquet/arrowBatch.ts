// Rollup rows as an Arrow record batch, then as a Parquet file: apache-arrow builds the columns, parquet-wasm (the
// Rust arrow/parquet crates compiled to WebAssembly, shipped in its npm package) encodes them from Arrow IPC.
import {
  Bool, Field, Float64, Int32, Int64, List, Map_, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, makeBuilder, makeData, tableToIPC,
  type Data, type DataType,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node';
import type { RollupRow } from './rollupRow.ts';

const listOf = (type: DataType) => new List(new Field('item', type, false));
const entries = new Struct<{ key: Utf8; value: Utf8 }>([new Field('key', new Utf8(), false), new Field('value', new Utf8(), false)]);
const textMap = new Map_<Utf8, Utf8>(new Field('entries', entries, false), false);
const timestamp = new TimestampMillisecond('UTC');

/** The columns, in file order; nullable where a kind may have no value. */
export const ROLLUP_SCHEMA = new Schema([
  new Field('tenant', new Utf8(), false),
  new Field('series', new Utf8(), false),
  new Field('metric', new Utf8(), false),
  new Field('description', new Utf8(), false),
  new Field('unit', new Utf8(), false),
  new Field('type', new Utf8(), false),
  new Field('kind', new Utf8(), false),
  new Field('temporality', new Utf8(), false),
  new Field('monotonic', new Bool(), false),
  new Field('attributes', textMap, false),
  new Field('resource', textMap, false),
  new Field('scope_name', new Utf8(), false),
  new Field('scope_version', new Utf8(), false),
  new Field('window_start', timestamp, false),
  new Field('window_end', timestamp, false),
  new Field('points', new Int64(), true),
  new Field('count', new Int64(), true),
  new Field('sum', new Float64(), true),
  new Field('min', new Float64(), true),
  new Field('max', new Float64(), true),
  new Field('avg', new Float64(), true),
  new Field('last', new Float64(), true),
  new Field('last_time', timestamp, true),
  new Field('increase', new Float64(), true),
  new Field('rate', new Float64(), true),
  new Field('resets', new Int64(), true),
  new Field('quantiles', listOf(new Struct([new Field('quantile', new Float64(), false), new Field('value', new Float64(), false)])), false),
  new Field('bucket_bounds', listOf(new Float64()), true),
  new Field('bucket_counts', listOf(new Int64()), true),
  new Field(
    'exponential',
    new Struct([
      new Field('scale', new Int32(), false),
      new Field('zero_count', new Int64(), false),
      new Field('positive_offset', new Int32(), false),
      new Field('positive', listOf(new Int64()), false),
      new Field('negative_offset', new Int32(), false),
      new Field('negative', listOf(new Int64()), false),
    ]),
    true,
  ),
  new Field('overflow', new Bool(), false),
  new Field('conflicts', new Int64(), false),
]);

const int64 = (n: number | null) => (n === null ? null : BigInt(n));
const int64s = (ns: number[] | null) => (ns === null ? null : ns.map((n) => BigInt(n)));

/** What a column's cells are made of, for the fields the JS values do not already match (Int64 takes bigint). */
const CELLS: Partial<Record<keyof RollupRow, (row: RollupRow) => unknown>> = {
  points: (r) => int64(r.points),
  count: (r) => int64(r.count),
  resets: (r) => int64(r.resets),
  conflicts: (r) => BigInt(r.conflicts),
  bucket_counts: (r) => int64s(r.bucket_counts),
  exponential: (r) => r.exponential && { ...r.exponential, zero_count: BigInt(r.exponential.zero_count), positive: int64s(r.exponential.positive), negative: int64s(r.exponential.negative) },
};

/** Rows as one Arrow table (one record batch) of ROLLUP_SCHEMA. */
export function rollupTable(rows: readonly RollupRow[]): Table {
  const children: Data[] = [];
  for (const field of ROLLUP_SCHEMA.fields) {
    const name = field.name as keyof RollupRow;
    const cell = CELLS[name] ?? ((row: RollupRow) => row[name]);
    const builder = makeBuilder({ type: field.type as DataType, nullValues: [null] });
    for (const row of rows) builder.append(cell(row));
    children.push(builder.finish().flush());
  }
  const batch = new RecordBatch(ROLLUP_SCHEMA, makeData({ type: new Struct(ROLLUP_SCHEMA.fields), length: rows.length, nullCount: 0, children }));
  return new Table([batch]);
}

export type ParquetCompression = 'zstd' | 'snappy';

const CODECS: Record<ParquetCompression, Compression> = { zstd: Compression.ZSTD, snappy: Compression.SNAPPY };

/** An Arrow table as the bytes of a Parquet file (one row group per 1 Mi rows, statistics per column chunk). */
export function parquetBytes(table: Table, compression: ParquetCompression): Uint8Array {
  const properties = new WriterPropertiesBuilder().setCompression(CODECS[compression]).setCreatedBy('otlp-streams').build();
  const wasm = WasmTable.fromIPCStream(tableToIPC(table, 'stream'));
  return writeParquet(wasm, properties);
}
