// Per-tenant limits, so one tenant's flood gets 429 while the others are served: each tenant holds at most its share
// of the in-flight byte budget, and optionally a rate (items/s, bytes/s) as token buckets. The state per tenant is
// small and bounded in number: tenants come from the credentials when authentication is on; in header mode at most
// `maxTenants` are tracked, idle ones are forgotten to make room.
import type { TenantLimitsOverride } from './credentials.ts';
import { InflightLimiter, Reservation } from './limiter.ts';

/** The limits of one tenant. */
export interface TenantLimitSettings {
  maxInflightBytes: number;
  itemsPerSecond?: number;
  bytesPerSecond?: number;
}

/**
 * A token bucket holding one second of its rate, that may go into debt: a request is let in while the balance is
 * positive and pays its real cost afterwards (items are only known once the body is decoded). A large request
 * thus passes, and the tenant waits for it afterwards.
 */
export class TokenBucket {
  readonly rate: number;
  private balance: number;
  private at: number;

  constructor(rate: number, now: number) {
    this.rate = rate;
    this.balance = rate;
    this.at = now;
  }

  private refill(now: number): void {
    this.balance = Math.min(this.rate, this.balance + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }

  /** Whole seconds until the balance is positive again; 0 when it is now. */
  waitSeconds(now: number): number {
    this.refill(now);
    return this.balance > 0 ? 0 : Math.max(1, Math.ceil((1 - this.balance) / this.rate));
  }

  /** Takes `amount` from the balance, which may go below zero. */
  spend(amount: number, now: number): void {
    this.refill(now);
    this.balance -= amount;
  }

  /** True when the bucket is full, so forgetting it changes nothing. */
  full(now: number): boolean {
    this.refill(now);
    return this.balance >= this.rate;
  }
}

/** One tenant's budget and buckets. */
export class TenantState {
  readonly tenant: string;
  readonly settings: TenantLimitSettings;
  readonly budget: InflightLimiter;
  readonly items: TokenBucket | undefined;
  readonly bytes: TokenBucket | undefined;

  constructor(tenant: string, settings: TenantLimitSettings, now: number) {
    this.tenant = tenant;
    this.settings = settings;
    this.budget = new InflightLimiter(settings.maxInflightBytes);
    this.items = settings.itemsPerSecond === undefined ? undefined : new TokenBucket(settings.itemsPerSecond, now);
    this.bytes = settings.bytesPerSecond === undefined ? undefined : new TokenBucket(settings.bytesPerSecond, now);
  }

  /** True when nothing would be lost by forgetting this state. */
  idle(now: number): boolean {
    return this.budget.inUse === 0 && (this.items?.full(now) ?? true) && (this.bytes?.full(now) ?? true);
  }

  /** Charges a finished request to the rate buckets. */
  spend(items: number, bytes: number, now: number): void {
    this.items?.spend(items, now);
    this.bytes?.spend(bytes, now);
  }
}

/** Why a tenant may not send now, and when to come back. */
export interface TenantRefusal {
  message: string;
  retryAfterSeconds?: number;
}

export interface TenantLimiterOptions {
  defaults: TenantLimitSettings;
  overrides?: ReadonlyMap<string, TenantLimitsOverride>;
  /** Tenants tracked at once. */
  maxTenants: number;
  /** Milliseconds; tests pass their own. */
  clock?: () => number;
}

/** The per-tenant state of the gateway. */
export class TenantLimiter {
  private readonly states = new Map<string, TenantState>();
  private readonly options: TenantLimiterOptions;
  private readonly clock: () => number;

  constructor(options: TenantLimiterOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  /** Tenants tracked now. */
  get size(): number {
    return this.states.size;
  }

  /** The tenant's limits: the defaults with its overrides. */
  settingsOf(tenant: string): TenantLimitSettings {
    return { ...this.options.defaults, ...this.options.overrides?.get(tenant) };
  }

  /** The tenant's state if its rates let it send now; otherwise why not. */
  admit(tenant: string): TenantState | TenantRefusal {
    const now = this.clock();
    const state = this.stateOf(tenant, now);
    if (state === undefined) return { message: `more than ${this.options.maxTenants} tenants are sending at once; retry later` };
    const { itemsPerSecond, bytesPerSecond } = state.settings;
    const itemsWait = state.items?.waitSeconds(now) ?? 0;
    if (itemsWait > 0) return { message: `tenant ${tenant} is over its rate limit of ${itemsPerSecond} items/s; retry later`, retryAfterSeconds: itemsWait };
    const bytesWait = state.bytes?.waitSeconds(now) ?? 0;
    if (bytesWait > 0) return { message: `tenant ${tenant} is over its rate limit of ${bytesPerSecond} bytes/s; retry later`, retryAfterSeconds: bytesWait };
    return state;
  }

  /** Charges a finished request to its tenant's buckets. */
  spend(state: TenantState, items: number, bytes: number): void {
    state.spend(items, bytes, this.clock());
  }

  private stateOf(tenant: string, now: number): TenantState | undefined {
    const known = this.states.get(tenant);
    if (known !== undefined) return known;
    if (this.states.size >= this.options.maxTenants) {
      // Forgetting an idle tenant loses nothing: a new state starts the same way.
      for (const [name, state] of this.states) if (state.idle(now)) this.states.delete(name);
      if (this.states.size >= this.options.maxTenants) return undefined;
    }
    const state = new TenantState(tenant, this.settingsOf(tenant), now);
    this.states.set(tenant, state);
    return state;
  }
}

/** A request's bytes, held against both its tenant's share and the gateway's budget. */
export class TenantReservation extends Reservation {
  private readonly tenantBudget: InflightLimiter;
  private tenantHeld = 0;
  /** Which budget refused the last bytes, to name it in the answer. */
  refusedBy: 'tenant' | 'gateway' | undefined;

  constructor(gateway: InflightLimiter, tenantBudget: InflightLimiter) {
    super(gateway);
    this.tenantBudget = tenantBudget;
  }

  override add(bytes: number): boolean {
    if (!this.tenantBudget.tryAcquire(bytes)) {
      this.refusedBy = 'tenant';
      return false;
    }
    if (!super.add(bytes)) {
      this.tenantBudget.release(bytes);
      this.refusedBy = 'gateway';
      return false;
    }
    this.tenantHeld += bytes;
    return true;
  }

  /** The most this request could ever hold besides what it holds: the smaller of the tenant's share and the gateway's budget. */
  override get room(): number {
    return Math.min(super.room, this.tenantBudget.limit - this.tenantHeld);
  }

  override release(): void {
    super.release();
    this.tenantBudget.release(this.tenantHeld);
    this.tenantHeld = 0;
  }
}
