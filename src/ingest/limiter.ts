// Bytes in flight across all requests; a request that would push past the limit is refused (429), so the
// gateway's memory stays bounded whatever the load.

/** Counts reserved bytes against a fixed budget. */
export class InflightLimiter {
  private used = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Reserves `bytes` if they fit; false otherwise (nothing reserved). */
  tryAcquire(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get inUse(): number {
    return this.used;
  }
}

/** The bytes one request holds, released once. */
export class Reservation {
  private held = 0;
  private readonly limiter: InflightLimiter;

  constructor(limiter: InflightLimiter) {
    this.limiter = limiter;
  }

  /** Adds `bytes` to this request's share; false when the gateway is full. */
  add(bytes: number): boolean {
    if (!this.limiter.tryAcquire(bytes)) return false;
    this.held += bytes;
    return true;
  }

  release(): void {
    this.limiter.release(this.held);
    this.held = 0;
  }

  /** Bytes this request holds now. */
  get bytes(): number {
    return this.held;
  }

  /** The most this request could still add on a gateway with no other request in flight. */
  get room(): number {
    return this.limiter.limit - this.held;
  }
}
