// The one error type chunk decoding throws, with a machine-readable reason.

/** Why a chunk could not be read. */
export type ChunkErrorReason = 'checksum' | 'truncated' | 'format' | 'version';

/** A chunk that cannot be decoded: corrupted (checksum), cut short (truncated), or not a chunk of a known format. */
export class ChunkError extends Error {
  override readonly name = 'ChunkError';
  readonly reason: ChunkErrorReason;
  constructor(reason: ChunkErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
