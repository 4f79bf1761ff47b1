// String decoding for the protobuf hot path.
//
// Invalid UTF-8 is decoded lossily: each malformed sequence becomes U+FFFD, as TextDecoder and Node's
// Buffer do by default. We do not reject the request: one bad byte in an attribute would otherwise turn
// a whole batch into a dead letter, and the Go collector passes such strings through unchecked too.
// The raw-bytes splitters never decode strings, so records they produce keep the original bytes.
//
// Short strings (attribute keys, service names, metric names, enum-like values) repeat endlessly across
// a batch, so they go through a small direct-mapped cache keyed by their bytes: a hit costs a hash and
// a byte compare and allocates nothing, which roughly doubles string throughput and cuts GC pressure.

// Node's Buffer has carried utf8Slice (what toString('utf8') calls after argument checks) since its
// early days; calling it directly saves those checks on every string. It is not in @types/node.
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string };

const CACHE_SLOTS = 4096; // power of two
const CACHE_MAX_BYTES = 32;
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX_BYTES);
const cachedLength = new Int32Array(CACHE_SLOTS).fill(-1);
const cachedString: string[] = new Array<string>(CACHE_SLOTS).fill('');

/** Decodes UTF-8 bytes buf[start, end) (invalid sequences become U+FFFD). */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > CACHE_MAX_BYTES) return (buf as NodeBuffer).utf8Slice(start, end);
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 16777619);
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const base = slot * CACHE_MAX_BYTES;
  if (cachedLength[slot] === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cachedBytes[base + i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cachedString[slot];
  }
  const s = (buf as NodeBuffer).utf8Slice(start, end);
  cachedBytes.set(buf.subarray(start, end), base);
  cachedLength[slot] = n;
  cachedString[slot] = s;
  return s;
}

/** Number of bytes `s` takes in UTF-8 (lone surrogates count as the 3-byte U+FFFD they become). */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}
