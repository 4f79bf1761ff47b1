// The value of an otlp.traces record: a trace's spans (one fragment) as an OTLP ExportTraceServiceRequest, compressed
// as one raw snappy block (snappyjs; ~3–5× smaller on span data). The record carries `content-encoding: snappy`.
import { snappyCompress as compress, snappyUncompress } from '../../kafka/snappyBlock.ts';
import { decodeTraces, encodeTraces, type Span } from '../../otlp/index.ts';

/** A trace value never expands past this (hostile input cannot claim gigabytes). */
export const MAX_TRACE_BYTES = 64 * 1024 * 1024;

/** Header naming the value's compression. */
export const TRACE_VALUE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-encoding': 'snappy' });

/** Spans → the record value. */
export function encodeTraceValue(spans: readonly Span[]): Buffer {
  const bytes = compress(encodeTraces(spans));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The record value → spans; throws on bytes that are not a snappy-compressed trace request. */
export function decodeTraceValue(value: Uint8Array): Span[] {
  let raw: Uint8Array;
  try {
    raw = snappyUncompress(value, MAX_TRACE_BYTES);
  } catch (err) {
    throw new Error(`otlp.traces value is not a snappy block: ${(err as Error).message}`, { cause: err });
  }
  return decodeTraces(raw);
}
