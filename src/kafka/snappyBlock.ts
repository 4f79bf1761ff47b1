// Raw snappy blocks (snappyjs) with a checked decompress. snappyjs trusts the block: a literal whose 4-byte length
// has the top bit set turns negative, moves its read position backwards and can loop forever, and a block that
// decodes to more or fewer bytes than its header claims is silently cut or zero-padded. Every element is walked
// first (no output written) and the block refused with what is wrong; only a block that checks out is handed to
// snappyjs, whose loop then always moves forward.
import { compress, uncompress } from 'snappyjs';

export { compress as snappyCompress };

/** The error for a block that is not valid snappy. */
export class SnappyError extends Error {
  constructor(message: string) {
    super(`snappy: ${message}`);
    this.name = 'SnappyError';
  }
}

/** The uncompressed length a block claims, checked against what its elements produce. */
export function snappyBlockLength(block: Uint8Array, maxLength: number): number {
  let length = 0;
  let pos = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= block.length) throw new SnappyError('the block ends inside its length header');
    if (shift > 28) throw new SnappyError('the length header is longer than 5 bytes');
    const c = block[pos++];
    length += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  if (length > maxLength) throw new SnappyError(`the block claims ${length} bytes, more than the ${maxLength} allowed`);
  let out = 0;
  while (pos < block.length) {
    const tag = block[pos++];
    let len: number;
    if ((tag & 3) === 0) {
      len = (tag >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60;
        if (pos + bytes > block.length) throw new SnappyError(`a literal's length runs past the end at byte ${pos}`);
        len = 1;
        for (let i = 0; i < bytes; i++) len += block[pos + i] * 2 ** (8 * i);
        pos += bytes;
      }
      if (pos + len > block.length) throw new SnappyError(`a literal of ${len} bytes at byte ${pos} runs past the end`);
      pos += len;
    } else {
      const offsetBytes = [0, 1, 2, 4][tag & 3];
      if (pos + offsetBytes > block.length) throw new SnappyError(`a copy's offset runs past the end at byte ${pos}`);
      let offset: number;
      if ((tag & 3) === 1) {
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) + block[pos];
      } else {
        len = (tag >>> 2) + 1;
        offset = 0;
        for (let i = 0; i < offsetBytes; i++) offset += block[pos + i] * 2 ** (8 * i);
      }
      pos += offsetBytes;
      if (offset === 0 || offset > out) throw new SnappyError(`a copy at byte ${pos} reaches ${offset} bytes back, before the start of the output`);
    }
    out += len;
    if (out > length) throw new SnappyError(`the block decodes to more than the ${length} bytes it claims`);
  }
  if (out !== length) throw new SnappyError(`the block decodes to ${out} bytes, not the ${length} it claims`);
  return length;
}

/** Decompresses a raw snappy block of at most `maxLength` bytes; throws SnappyError on anything else. */
export function snappyUncompress(block: Uint8Array, maxLength: number): Uint8Array {
  snappyBlockLength(block, maxLength);
  return uncompress(block, maxLength);
}
