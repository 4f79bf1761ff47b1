// The one error every OTLP decoder, splitter and validator in this folder throws for bad input.

/** Bad OTLP input: `path` names the field (e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`), `offset` the protobuf byte. */
export class OtlpDecodeError extends Error {
  /** Field path from the request root, in OTLP/JSON (lowerCamelCase) names. */
  path: string;
  /** Byte offset in the protobuf input where the problem was found, or -1 (JSON input). */
  readonly offset: number;
  /** The problem without location, e.g. `expected 16 bytes, got 15`. */
  readonly reason: string;
  readonly format: 'protobuf' | 'json';

  constructor(reason: string, format: 'protobuf' | 'json', offset = -1, path = '') {
    super('');
    this.name = 'OtlpDecodeError';
    this.reason = reason;
    this.format = format;
    this.offset = offset;
    this.path = path;
    this.message = this.describe();
  }

  /** Prefixes a path segment while the error travels up the message tree (only on the error path). */
  within(segment: string): this {
    this.path = this.path === '' ? segment : this.path.startsWith('[') ? segment + this.path : `${segment}.${this.path}`;
    this.message = this.describe();
    return this;
  }

  private describe(): string {
    const where = this.path === '' ? '' : ` at ${this.path}`;
    const at = this.offset >= 0 ? ` (byte ${this.offset})` : '';
    return `invalid OTLP ${this.format}${where}${at}: ${this.reason}`;
  }
}

/** Adds `segment` to the path of an OtlpDecodeError or RequestLimitError passing through; other errors pass untouched. */
export function rethrowWithin(error: unknown, segment: string): never {
  if (error instanceof OtlpDecodeError || error instanceof RequestLimitError) throw error.within(segment);
  throw error;
}

/**
 * A request over one of the limits that keep a request's work bounded (items, resource attributes): well-formed, but
 * refused whole. `limit` names the limit, e.g. `maxRequestItems`; `path` where it was passed, when that is one place.
 */
export class RequestLimitError extends Error {
  override name = 'RequestLimitError';
  readonly limit: string;
  readonly reason: string;
  path = '';

  constructor(limit: string, reason: string) {
    super(reason);
    this.limit = limit;
    this.reason = reason;
  }

  /** Prefixes a path segment, as OtlpDecodeError.within does. */
  within(segment: string): this {
    this.path = this.path === '' ? segment : this.path.startsWith('[') ? segment + this.path : `${segment}.${this.path}`;
    this.message = `${this.path}: ${this.reason}`;
    return this;
  }
}
