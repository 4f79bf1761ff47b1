// Reading an HTTP request body within limits: the size cap (also after gzip, against compression bombs) and
// the in-flight byte budget, reserved chunk by chunk as the bytes arrive.
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { Reservation } from './limiter.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** A body that cannot be read; `kind` is the outcome to answer with. */
export class BodyError extends Error {
  override name = 'BodyError';
  readonly kind: 'too_large' | 'overloaded' | 'unsupported' | 'invalid';

  constructor(kind: BodyError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Reads and decompresses the body; throws BodyError. */
export async function readBody(req: IncomingMessage, maxBytes: number, reservation: Reservation): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'deflate', ''].includes(encoding)) throw new BodyError('unsupported', `unsupported Content-Encoding "${encoding}" (use gzip, deflate or none)`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new BodyError('too_large', `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);

  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new BodyError('too_large', `request body exceeds the limit of ${maxBytes} bytes`);
    if (!reservation.add(chunk.length)) throw new BodyError('overloaded', 'too many bytes in flight; retry later');
    chunks.push(chunk);
  }
  const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  if (encoding !== 'gzip' && encoding !== 'deflate') return raw;

  let body: Buffer;
  try {
    body = await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError('too_large', `decompressed request body exceeds the limit of ${maxBytes} bytes`);
    throw new BodyError('invalid', `request body is not valid ${encoding}: ${(err as Error).message}`);
  }
  if (!reservation.add(body.length)) throw new BodyError('overloaded', 'too many bytes in flight; retry later');
  return body;
}
