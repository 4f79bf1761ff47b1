// Prometheus remote write 1.0: a protobuf WriteRequest, snappy block-compressed, POSTed with the protocol's headers.
import { compress } from 'snappyjs';

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface TimeSeries {
  /** Sorted by name, `__name__` included, as the protocol requires. */
  labels: Label[];
  samples: Sample[];
}

/** Grows as needed; writes protobuf wire format for the few field types WriteRequest uses. */
class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  varint(v: number): void {
    this.ensure(10);
    // Values here are non-negative and below 2^53.
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  bytes(field: number, data: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
  double(field: number, v: number): void {
    this.varint((field << 3) | 1);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  int64(field: number, v: number): void {
    this.varint(field << 3);
    if (v < 0) throw new Error(`negative timestamp ${v}`);
    this.varint(v);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const utf8 = new TextEncoder();

/** Encodes a remote-write 1.0 WriteRequest (prometheus.WriteRequest: timeseries = 1; labels = 1, samples = 2). */
export function encodeWriteRequest(series: TimeSeries[]): Uint8Array {
  const out = new Writer();
  for (const ts of series) {
    const inner = new Writer();
    for (const label of ts.labels) {
      const l = new Writer();
      l.bytes(1, utf8.encode(label.name));
      l.bytes(2, utf8.encode(label.value));
      inner.bytes(1, l.finish());
    }
    for (const sample of ts.samples) {
      const s = new Writer();
      s.double(1, sample.value);
      s.int64(2, sample.timestamp);
      inner.bytes(2, s.finish());
    }
    out.bytes(1, inner.finish());
  }
  return out.finish();
}

/** A remote-write request the server answered with a non-2xx status; `answer` is the response body. */
export class RemoteWriteError extends Error {
  readonly status: number;
  readonly answer: string;

  constructor(url: string, status: number, answer: string) {
    super(`remote write to ${url}: ${status} ${answer}`);
    this.name = 'RemoteWriteError';
    this.status = status;
    this.answer = answer;
  }
}

/** Sends one remote-write request; throws a RemoteWriteError with the server's answer unless it is 2xx. */
export async function sendWriteRequest(url: string, series: TimeSeries[], signal?: AbortSignal): Promise<void> {
  const body = compress(encodeWriteRequest(series));
  const res = await fetch(url, {
    method: 'POST',
    body,
    signal,
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'otlp-streams',
    },
  });
  if (!res.ok) throw new RemoteWriteError(url, res.status, (await res.text()).trim());
}
