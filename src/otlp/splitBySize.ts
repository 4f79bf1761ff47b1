// Splits one Kafka record whose value is too large into several records with the same key, each under a
// byte limit, by spreading its spans / data points / log records across requests that repeat the enclosing
// resource, scope (and metric) messages. Works on raw bytes like split.ts. An item that cannot fit even
// alone is reported (the gateway answers 413 for it) and left out.
import { rethrowWithin } from './errors.ts';
import type { Signal } from './model.ts';
import { expectEnd, ProtoReader, skipUnknown } from './protoReader.ts';
import { ProtoWriter, varintSize } from './protoWriter.ts';
import type { KafkaRecord, PlannedRecord } from './split.ts';

/** An item too large for the limit even in a request of its own. */
export interface OversizedItem {
  /** Where it was in the record's value, e.g. `resourceSpans[0].scopeSpans[0].spans[3]`. */
  path: string;
  /** Size of the smallest request that could carry it. */
  bytes: number;
}

/** Records that fit, and the items that never can. */
export interface SizeSplit {
  records: KafkaRecord[];
  oversized: OversizedItem[];
}

// The message tree above the items: which fields hold the children at each level and their JSON names.
interface Level {
  childFields: Record<number, string>; // field number -> name, for the fields holding the next level
}

const LEVELS: Record<Signal, Level[]> = {
  traces: [{ childFields: { 1: 'resourceSpans' } }, { childFields: { 2: 'scopeSpans' } }, { childFields: { 2: 'spans' } }],
  logs: [{ childFields: { 1: 'resourceLogs' } }, { childFields: { 2: 'scopeLogs' } }, { childFields: { 2: 'logRecords' } }],
  metrics: [
    { childFields: { 1: 'resourceMetrics' } },
    { childFields: { 2: 'scopeMetrics' } },
    { childFields: { 2: 'metrics' } },
    { childFields: { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' } },
    { childFields: { 1: 'dataPoints' } },
  ],
};

interface Container {
  parent: Container | undefined;
  field: number; // field number inside the parent
  segment: string; // path segment, e.g. scopeSpans[1]
  header: Array<[number, number]>; // every other field, copied into each piece
  overhead: number; // bytes this container adds around its children (tag, worst-case length, header)
}

interface Item {
  container: Container;
  segment: string;
  start: number; // whole field, tag included
  end: number;
}

/** Splits `record` (key kept) into records whose values are at most `maxBytes`, reporting items that can never fit. */
export function splitBySize(signal: Signal, record: KafkaRecord, maxBytes: number): SizeSplit {
  if (record.value.length <= maxBytes) return { records: [record], oversized: [] };
  const { pieces, oversized } = planBySize(signal, record, maxBytes);
  return { records: pieces.map((p) => ({ key: p.key, value: p.build() })), oversized };
}

/** The pieces of a record split by size, planned but not written, and the items that can never fit. */
export interface SizePlan {
  /** Each piece's `valueBytes` is an upper bound (lengths are counted at their largest varint size). */
  pieces: PlannedRecord[];
  oversized: OversizedItem[];
}

/**
 * Plans how `record` splits under `maxBytes` without writing the pieces, so their total size (every piece repeats the
 * enclosing resource and scope) is known before it is allocated. For records over `maxBytes` (one that fits would be
 * copied into one piece).
 */
export function planBySize(signal: Signal, record: KafkaRecord, maxBytes: number): SizePlan {
  const plan: SizePlan = { pieces: [], oversized: [] };
  for (const step of planBySizeSteps(signal, record, maxBytes, plan)) void step;
  return plan;
}

// Items handled between two pause points of planBySizeSteps.
const ITEMS_PER_STEP = 2048;

/** planBySize as a generator filling `plan`, pausing every few thousand items so a caller can yield to the event loop. */
export function* planBySizeSteps(signal: Signal, record: KafkaRecord, maxBytes: number, plan: SizePlan): Generator<void, void, void> {
  const r = new ProtoReader(record.value);
  const items: Item[] = [];
  yield* collect(r, r.length, LEVELS[signal], 0, undefined, maxBytes, items);

  const { pieces, oversized } = plan;
  // One writer for the pieces of this record: they are built one after the other.
  let writer: ProtoWriter | undefined;
  let piece: Item[] = [];
  let pieceBytes = 0;
  const flush = (): void => {
    if (piece.length === 0) return;
    const content = piece;
    pieces.push({
      key: record.key,
      valueBytes: pieceBytes,
      items: content.length,
      build: () => {
        writer ??= new ProtoWriter(Math.min(maxBytes, 1 << 20));
        writePiece(writer, r.buf, content);
        return writer.finish();
      },
    });
    piece = [];
    pieceBytes = 0;
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const alone = item.end - item.start + chainOverhead(item.container, undefined);
    if (alone > maxBytes) {
      oversized.push({ path: pathOf(item), bytes: alone });
      continue;
    }
    const extra = item.end - item.start + chainOverhead(item.container, piece.length > 0 ? piece[piece.length - 1].container : undefined);
    if (pieceBytes + extra > maxBytes) {
      flush();
      pieceBytes = alone;
    } else pieceBytes += extra;
    piece.push(item);
    if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
  }
  flush();
}

// Overhead of the containers of `c` that are not already open in the piece (whose last item sits in `open`).
function chainOverhead(c: Container | undefined, open: Container | undefined): number {
  let n = 0;
  for (let x = c; x !== undefined && !isWithin(open, x); x = x.parent) n += x.overhead;
  return n;
}

// True when `x` is `open` or one of its ancestors (chains are a few levels deep: a walk beats a set per item).
function isWithin(open: Container | undefined, x: Container): boolean {
  for (let o = open; o !== undefined; o = o.parent) if (o === x) return true;
  return false;
}

function pathOf(item: Item): string {
  const parts = [item.segment];
  for (let c: Container | undefined = item.container; c !== undefined; c = c.parent) if (c.segment !== '') parts.unshift(c.segment);
  return parts.join('.');
}

// Walks one level: fields in `level.childFields` hold the next level (or the items at the last level);
// every other field is header, repeated in each piece.
function* collect(
  r: ProtoReader, end: number, levels: Level[], depth: number, container: Container | undefined, maxBytes: number, items: Item[],
): Generator<void, void, void> {
  const level = levels[depth];
  const children: Array<[number, number, number, number]> = []; // field, tagAt, contentStart, end
  const counts: Record<number, number> = {};
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    if (level.childFields[field] !== undefined && (tag & 7) === 2) {
      const e = r.lengthEnd(end);
      children.push([field, tagAt, r.pos, e]);
      r.pos = e;
    } else {
      skipUnknown(r, tag, tagAt, end, level.childFields);
      container?.header.push([tagAt, r.pos]);
    }
  }
  expectEnd(r, end);
  if (container !== undefined) container.overhead += container.header.reduce((n, [s, e]) => n + e - s, 0);
  const lengthBytes = varintSize(maxBytes);
  for (const [field, tagAt, start, e] of children) {
    const n = counts[field] ?? 0;
    counts[field] = n + 1;
    const name = level.childFields[field];
    const segment = depth === 3 ? name : `${name}[${n}]`; // a metric's data oneof is a single message
    if (depth === levels.length - 1) {
      items.push({ container: container as Container, segment, start: tagAt, end: e });
      if (items.length % ITEMS_PER_STEP === 0) yield;
      continue;
    }
    const child: Container = { parent: container, field, segment, header: [], overhead: varintSize(field << 3) + lengthBytes };
    r.pos = start;
    try {
      yield* collect(r, e, levels, depth + 1, child, maxBytes, items);
    } catch (err) {
      rethrowWithin(err, segment);
    }
  }
}

// Writes the request for `piece`: items in order, each wrapped in its chain of containers, opening a
// container once for consecutive items that share it.
function writePiece(w: ProtoWriter, buf: Buffer, piece: Item[]): void {
  const open: Array<{ container: Container; start: number }> = [];
  for (const item of piece) {
    const chain: Container[] = [];
    for (let c: Container | undefined = item.container; c !== undefined; c = c.parent) chain.unshift(c);
    let same = 0;
    while (same < open.length && same < chain.length && open[same].container === chain[same]) same++;
    while (open.length > same) w.join(open.pop()!.start);
    for (let i = same; i < chain.length; i++) {
      const c = chain[i];
      w.tag(c.field, 2);
      const start = w.fork();
      for (const [s, e] of c.header) w.raw(buf.subarray(s, e));
      open.push({ container: c, start });
    }
    w.raw(buf.subarray(item.start, item.end));
  }
  while (open.length > 0) w.join(open.pop()!.start);
}
