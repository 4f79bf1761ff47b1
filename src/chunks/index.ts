// Gorilla-style chunks: one series' points of one block, compressed and self-contained. Format: docs/chunks.md.
export { chunkInfo, decodeChunk, encodeChunk, CHUNK_FORMAT_VERSION, CHUNK_MAGIC, MAX_CHUNK_POINTS } from './chunk.ts';
export type { ChunkCompression, ChunkInfo, ChunkPoints, DecodedChunk, EncodeChunkOptions } from './chunk.ts';
export { ChunkError, type ChunkErrorReason } from './errors.ts';
export type { TimestampEncoding } from './timestamps.ts';
export { MAX_ABS_TIMESTAMP } from './timestamps.ts';
export type { ValueEncoding } from './values.ts';
