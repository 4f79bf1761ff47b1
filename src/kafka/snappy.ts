// Snappy for kafkajs (which ships no snappy codec), on snappyjs. Compresses as a raw snappy block, which brokers
// and other clients accept; decompresses both raw blocks and the xerial framing that Java producers write.
import kafkajs from './kafkajs.ts';
import { snappyCompress as compress, snappyUncompress } from './snappyBlock.ts';

/** A record batch never expands past this (the broker's message size is far smaller). */
const MAX_BATCH_BYTES = 1 << 30;

// CompressionCodecs is not a named export Node's CommonJS detection finds in kafkajs (vitest hides this).
const { CompressionCodecs, CompressionTypes } = kafkajs;

// xerial snappy-java stream header: 0x82 "SNAPPY" 0x00, then version and compatible version (int32 each).
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_LENGTH = 16;

/** Decompresses a raw snappy block or a xerial-framed stream of blocks. */
export function snappyDecompress(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_LENGTH || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return Buffer.from(snappyUncompress(data, MAX_BATCH_BYTES));
  const chunks: Buffer[] = [];
  let pos = XERIAL_HEADER_LENGTH;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Error('snappy: truncated xerial chunk length');
    const size = data.readInt32BE(pos);
    pos += 4;
    if (size < 0 || pos + size > data.length) throw new Error(`snappy: xerial chunk of ${size} bytes runs past the end`);
    chunks.push(Buffer.from(snappyUncompress(data.subarray(pos, pos + size), MAX_BATCH_BYTES)));
    pos += size;
  }
  return Buffer.concat(chunks);
}

let registered = false;

/** Registers the snappy codec with kafkajs once per process. */
export function registerSnappy(): void {
  if (registered) return;
  CompressionCodecs[CompressionTypes.Snappy] = () => ({
    compress: async (encoder: { buffer: Buffer }) => Buffer.from(compress(encoder.buffer)),
    decompress: async (buffer: Buffer) => snappyDecompress(buffer),
  });
  registered = true;
}
