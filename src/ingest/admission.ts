// Admission of a request, whatever the transport: its tenant (from the credential when authentication is on), then
// its tenant's rate; the bytes it will hold are reserved against the tenant's share and the gateway's budget.
import type { GatewayCore } from './core.ts';
import type { ExportOutcome } from './exportRequest.ts';
import { Reservation } from './limiter.ts';
import { resolveTenant, type Presented } from './tenancy.ts';
import { TenantReservation, TenantState } from './tenantLimits.ts';

/** A request let in. */
export interface Admission {
  tenant: string | undefined;
  reservation: Reservation;
  /** Charges the finished request to its tenant's rates, and names the tenant's share in an overload caused by it. */
  settle(outcome: ExportOutcome, bodyBytes: number): ExportOutcome;
}

/** Lets a request in, or says how to refuse it. */
export function admit(core: GatewayCore, presented: Presented): Admission | { refused: ExportOutcome } {
  const resolved = resolveTenant(core.options.tenancy, presented);
  if ('refused' in resolved) return { refused: { kind: resolved.refused, message: resolved.error } };
  const { tenant } = resolved;
  if (tenant === undefined) return { tenant, reservation: new Reservation(core.limiter), settle: (outcome) => outcome };

  const state = core.tenants.admit(tenant);
  if (!(state instanceof TenantState)) return { refused: { kind: 'overloaded', message: state.message, retryAfterSeconds: state.retryAfterSeconds } };
  const reservation = new TenantReservation(core.limiter, state.budget);
  return {
    tenant,
    reservation,
    settle(outcome, bodyBytes) {
      core.tenants.spend(state, outcome.kind === 'accepted' ? outcome.items : 0, bodyBytes);
      if (outcome.kind === 'overloaded' && reservation.refusedBy === 'tenant') {
        return { ...outcome, message: `tenant ${tenant} has its share of the in-flight byte budget (${state.settings.maxInflightBytes} bytes) in use; retry later` };
      }
      return outcome;
    },
  };
}
