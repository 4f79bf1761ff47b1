import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';

const options = { failureThreshold: 3, openMs: 1_000 };

type Step = ['fail' | 'ok', number] | ['decide', number, string];

/** Runs steps on a breaker and returns its state after each, with the decisions taken. */
function trace(probes: boolean, steps: Step[]): string[] {
  const b = new CircuitBreaker(options, probes);
  return steps.map((step) => {
    if (step[0] === 'fail') b.failure(step[1]);
    else if (step[0] === 'ok') b.success();
    else {
      const d = b.decide(step[1]);
      return `${d.action}${d.action === 'wait' ? ` ${d.ms}` : ''} → ${b.state}`;
    }
    return b.state;
  });
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    expect(trace(true, [['fail', 0], ['fail', 1], ['ok', 2], ['fail', 3], ['fail', 4], ['decide', 5, '']])).toEqual(['closed', 'closed', 'closed', 'closed', 'closed', 'send → closed']);
  });

  it('opens after N consecutive failures, waits, then probes (half-open); a good probe closes it', () => {
    expect(trace(true, [['fail', 0], ['fail', 10], ['fail', 20], ['decide', 500, ''], ['decide', 1_019, ''], ['decide', 1_020, ''], ['decide', 1_021, ''], ['ok', 1_030], ['decide', 1_031, '']])).toEqual([
      'closed', 'closed', 'open', 'wait 520 → open', 'wait 1 → open', 'probe → half-open', 'wait 1000 → half-open', 'closed', 'send → closed',
    ]);
  });

  it('a failed probe opens it again for another openMs', () => {
    expect(trace(true, [['fail', 0], ['fail', 0], ['fail', 0], ['decide', 1_000, ''], ['fail', 1_200], ['decide', 1_300, ''], ['decide', 2_200, '']])).toEqual([
      'closed', 'closed', 'open', 'probe → half-open', 'open', 'wait 900 → open', 'probe → half-open',
    ]);
  });

  it('without a probe, half-open lets requests through; one failure opens it, one success closes it', () => {
    expect(trace(false, [['fail', 0], ['fail', 0], ['fail', 0], ['decide', 1_000, ''], ['decide', 1_001, ''], ['fail', 1_002], ['decide', 2_002, ''], ['ok', 2_003]])).toEqual([
      'closed', 'closed', 'open', 'send → half-open', 'send → half-open', 'open', 'send → half-open', 'closed',
    ]);
  });

  it('failures of requests still in flight while open do not extend the open time', () => {
    expect(trace(true, [['fail', 0], ['fail', 0], ['fail', 0], ['fail', 900], ['decide', 1_000, '']])).toEqual(['closed', 'closed', 'open', 'open', 'probe → half-open']);
  });
});
