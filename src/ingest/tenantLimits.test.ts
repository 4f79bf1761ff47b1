import { describe, expect, it } from 'vitest';
import { InflightLimiter } from './limiter.ts';
import { TenantLimiter, TenantReservation, TenantState, TokenBucket, type TenantRefusal } from './tenantLimits.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
const admitted = (x: TenantState | TenantRefusal): TenantState => {
  if (!(x instanceof TenantState)) throw new Error(`refused: ${x.message}`);
  return x;
};

describe('TokenBucket', () => {
  it('lets a request in while positive, charges it afterwards, and says when the debt is paid', () => {
    const bucket = new TokenBucket(100, 0);
    expect(bucket.waitSeconds(0)).toBe(0);
    bucket.spend(350, 0); // one large request passes and leaves a debt of 250
    expect(bucket.waitSeconds(0)).toBe(3);
    expect(bucket.waitSeconds(2000)).toBe(1);
    expect(bucket.waitSeconds(2510)).toBe(0);
    expect(bucket.full(2510)).toBe(false);
    expect(bucket.full(4000)).toBe(true);
    // It never holds more than one second of its rate.
    bucket.spend(150, 100_000);
    expect(bucket.waitSeconds(100_000)).toBe(1);
  });
});

describe('TenantLimiter', () => {
  it('refuses a tenant over its item or byte rate, naming the limit, while others pass', () => {
    const c = clock();
    const limiter = new TenantLimiter({ defaults: { maxInflightBytes: 1000, itemsPerSecond: 100, bytesPerSecond: 10_000 }, maxTenants: 10, clock: c.now });
    const a = admitted(limiter.admit('a'));
    limiter.spend(a, 300, 500);
    expect(limiter.admit('a')).toEqual({ message: 'tenant a is over its rate limit of 100 items/s; retry later', retryAfterSeconds: 3 });
    admitted(limiter.admit('b'));
    c.advance(3000);
    limiter.spend(admitted(limiter.admit('a')), 0, 25_000);
    expect(limiter.admit('a')).toEqual({ message: 'tenant a is over its rate limit of 10000 bytes/s; retry later', retryAfterSeconds: 2 });
  });

  it('applies a tenant’s own limits over the defaults', () => {
    const limiter = new TenantLimiter({ defaults: { maxInflightBytes: 1000 }, overrides: new Map([['big', { maxInflightBytes: 5000, itemsPerSecond: 7 }]]), maxTenants: 10 });
    expect(admitted(limiter.admit('big')).settings).toEqual({ maxInflightBytes: 5000, itemsPerSecond: 7 });
    expect(admitted(limiter.admit('small')).settings).toEqual({ maxInflightBytes: 1000 });
  });

  it('tracks at most maxTenants, forgetting idle ones to make room', () => {
    const c = clock();
    const limiter = new TenantLimiter({ defaults: { maxInflightBytes: 1000, itemsPerSecond: 10 }, maxTenants: 2, clock: c.now });
    const gateway = new InflightLimiter(10_000);
    const a = admitted(limiter.admit('a'));
    const busy = new TenantReservation(gateway, a.budget);
    expect(busy.add(10)).toBe(true); // a has bytes in flight
    limiter.spend(admitted(limiter.admit('b')), 5, 0); // b's bucket is not full
    expect(limiter.admit('c')).toEqual({ message: 'more than 2 tenants are sending at once; retry later' });
    c.advance(1000); // b's bucket refilled: b is idle and can be forgotten
    admitted(limiter.admit('c'));
    expect(limiter.size).toBe(2);
    busy.release();
    for (let i = 0; i < 100; i++) admitted(limiter.admit(`t${i}`));
    expect(limiter.size).toBe(2);
  });
});

describe('TenantReservation', () => {
  it('holds bytes against the tenant’s share and the gateway’s budget, and says which one refused', () => {
    const gateway = new InflightLimiter(150);
    const a = new InflightLimiter(100);
    const b = new InflightLimiter(100);
    const ra = new TenantReservation(gateway, a);
    expect(ra.add(80)).toBe(true);
    expect(ra.add(30)).toBe(false);
    expect(ra.refusedBy).toBe('tenant');
    const rb = new TenantReservation(gateway, b);
    expect(rb.add(60)).toBe(true);
    expect(rb.add(20)).toBe(false); // b's share has room, the gateway has not
    expect(rb.refusedBy).toBe('gateway');
    expect([gateway.inUse, a.inUse, b.inUse]).toEqual([140, 80, 60]);
    ra.release();
    rb.release();
    rb.release();
    expect([gateway.inUse, a.inUse, b.inUse]).toEqual([0, 0, 0]);
  });

  it('has room for at most the smaller of the tenant’s share and the gateway’s budget (beyond it: 413, never a 429 forever)', () => {
    const r = new TenantReservation(new InflightLimiter(1000), new InflightLimiter(300));
    expect(r.room).toBe(300);
    r.add(100);
    expect(r.room).toBe(200);
    expect(new TenantReservation(new InflightLimiter(200), new InflightLimiter(300)).room).toBe(200);
  });
});
