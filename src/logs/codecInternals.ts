// Byte writer and reader shared by the log block and segment index codecs. Unlike the metrics ByteWriter/ByteReader
// these write strings straight into the buffer (no TextEncoder copy per string: a block has a body per row) and fail
// with the codec's own error class. The reader never trusts a length: every count is checked against the bytes left.

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

/** A growing buffer of varints, bytes and strings. */
export class Writer {
  private buf: Buffer;
  private at = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 64));
  }

  get length(): number {
    return this.at;
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.at = 0;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buf[this.at++] = value;
  }

  /** A non-negative safe integer (callers check), LEB128. */
  uvarint(value: number): void {
    this.reserve(8);
    const buf = this.buf;
    let at = this.at;
    if (value < 0x80) {
      buf[at++] = value;
    } else if (value < 0x80000000) {
      let rest = value;
      while (rest >= 0x80) {
        buf[at++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      buf[at++] = rest;
    } else {
      // Above 31 bits shifts would wrap: divide instead.
      let rest = value;
      while (rest >= 0x80) {
        buf[at++] = (rest % 0x80) | 0x80;
        rest = Math.floor(rest / 0x80);
      }
      buf[at++] = rest;
    }
    this.at = at;
  }

  /** A safe integer of either sign, zigzag-encoded (|value| ≤ 2^52). */
  zigzag(value: number): void {
    this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** UTF-8 bytes of `text` with their length in front. */
  string(text: string): void {
    // Up to 42 UTF-16 units take at most 126 bytes: a one-byte length, written after the text.
    if (text.length <= 42) {
      this.reserve(1 + text.length * 3);
      const n = this.buf.write(text, this.at + 1, 'utf8');
      this.buf[this.at] = n;
      this.at += 1 + n;
      return;
    }
    const n = Buffer.byteLength(text, 'utf8');
    this.uvarint(n);
    this.reserve(n);
    this.at += this.buf.write(text, this.at, n, 'utf8');
  }

  /** UTF-8 bytes of `text` without a length; returns how many. */
  utf8(text: string): number {
    this.reserve(text.length * 3);
    const n = this.buf.write(text, this.at, 'utf8');
    this.at += n;
    return n;
  }

  /** Lowercase hex text as its bytes (callers check it is hex of even length). */
  hex(text: string): void {
    this.reserve(text.length >>> 1);
    this.at += this.buf.write(text, this.at, 'hex');
  }

  /** ASCII lowercase hex digits `bytes[from..to)` (callers check) packed two to a byte. */
  packHex(bytes: Uint8Array, from: number, to: number): void {
    this.reserve((to - from) >>> 1);
    const buf = this.buf;
    let at = this.at;
    for (let i = from; i < to; i += 2) buf[at++] = (nibble(bytes[i]) << 4) | nibble(bytes[i + 1]);
    this.at = at;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** The bytes written (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

/** Reads what Writer wrote; every failure is `fail(message)` with the offset in the message. */
export class Reader {
  readonly buf: Buffer;
  at: number;
  readonly end: number;
  private readonly fail: (message: string) => Error;

  constructor(bytes: Uint8Array, fail: (message: string) => Error, start = 0, end = bytes.length) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = start;
    this.end = end;
    this.fail = fail;
  }

  get left(): number {
    return this.end - this.at;
  }

  error(message: string): Error {
    return this.fail(`${message} at byte ${this.at}`);
  }

  byte(): number {
    if (this.at >= this.end) throw this.error('truncated');
    return this.buf[this.at++];
  }

  uvarint(): number {
    const buf = this.buf;
    const end = this.end;
    let at = this.at;
    if (at < end && buf[at] < 0x80) {
      this.at = at + 1;
      return buf[at];
    }
    let value = 0;
    let scale = 1;
    while (at < end) {
      const b = buf[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > MAX_SAFE) throw this.error('varint above 2^53');
        this.at = at;
        return value;
      }
      scale *= 0x80;
      if (scale > 2 ** 56) throw this.error('varint too long');
    }
    throw this.error('truncated varint');
  }

  zigzag(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A uvarint no greater than `max`, naming `field` when it is. */
  uvarintAtMost(max: number, field: string): number {
    const value = this.uvarint();
    if (value > max) throw this.error(`${field} ${value} above ${max}`);
    return value;
  }

  /** A count of following items of at least `itemBytes` bytes each: never more than the bytes left allow. */
  count(field: string, itemBytes = 1): number {
    const n = this.uvarint();
    if (n * itemBytes > this.end - this.at) throw this.error(`${field} ${n} exceeds the bytes left`);
    return n;
  }

  /** A string written by Writer.string. */
  string(field: string): string {
    const n = this.uvarint();
    if (n > this.end - this.at) throw this.error(`${field} length ${n} exceeds the bytes left`);
    const text = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return text;
  }

  /** Advances `n` bytes, checked. */
  skip(n: number, field: string): void {
    if (n > this.end - this.at) throw this.error(`${field} length ${n} exceeds the bytes left`);
    this.at += n;
  }

  /** `n` bytes as lowercase hex. */
  hex(n: number, field: string): string {
    if (n > this.end - this.at) throw this.error(`${field}: truncated`);
    const text = this.buf.toString('hex', this.at, this.at + n);
    this.at += n;
    return text;
  }

  /** `n` bytes as a view. */
  bytes(n: number, field: string): Buffer {
    if (n > this.end - this.at) throw this.error(`${field} length ${n} exceeds the bytes left`);
    const view = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }

  done(): void {
    if (this.at !== this.end) throw this.error(`${this.end - this.at} trailing bytes`);
  }
}

type Attributes = ReadonlyArray<readonly [string, string]>;

function sameAttributes(a: Attributes, b: Attributes): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}

/** A text key of a whole attribute set (lengths in front so no two sets share one). */
function setKey(set: Attributes): string {
  let key = '';
  for (const [k, v] of set) key += `${k.length}:${k}${v.length}:${v}`;
  return key;
}

// Sets with the same first value (usually service.name) compared one by one up to this many; past it, by a text key.
const MAX_BUCKET = 8;

/**
 * The distinct resource attribute sets of `rows` in order of first use, and each row's set number. Rows of one
 * resource rarely share the array itself (each record maps its own), so sets are compared by content: bucketed by
 * their first value, then pair by pair — cheaper than building a text key per row, which remains for big buckets.
 */
export function resourceSets(rows: ReadonlyArray<{ resource: Attributes }>): { ids: Uint32Array; sets: Attributes[] } {
  const ids = new Uint32Array(rows.length);
  const sets: Attributes[] = [];
  const buckets = new Map<string, number[]>();
  const byKey = new Map<string, number>();
  let last: Attributes | undefined;
  let lastId = 0;
  for (let i = 0; i < rows.length; i++) {
    const set = rows[i].resource;
    if (last === undefined || !sameAttributes(set, last)) {
      const first = set.length === 0 ? '' : set[0][1];
      let bucket = buckets.get(first);
      if (bucket === undefined) buckets.set(first, (bucket = []));
      let id = -1;
      if (bucket.length < MAX_BUCKET) {
        for (const candidate of bucket) {
          if (sameAttributes(sets[candidate], set)) {
            id = candidate;
            break;
          }
        }
        if (id < 0) {
          id = sets.length;
          sets.push(set);
          bucket.push(id);
          // Keep byKey complete once this bucket overflows into it.
          if (bucket.length === MAX_BUCKET) for (const b of bucket) byKey.set(setKey(sets[b]), b);
        }
      } else {
        const key = setKey(set);
        id = byKey.get(key) ?? -1;
        if (id < 0) {
          id = sets.length;
          sets.push(set);
          byKey.set(key, id);
        }
      }
      last = set;
      lastId = id;
    }
    ids[i] = lastId;
  }
  return { ids, sets };
}
