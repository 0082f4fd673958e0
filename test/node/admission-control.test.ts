/**
 * Overload control (node/admission-control.ts): the bound on transactions pending for commit is
 * the moving average of the commit rate times the target delay, within a floor and a ceiling;
 * the excess is refused with a Retry-After about how long it takes to commit. Driven by explicit
 * times only: no clock is read.
 */
import { describe, expect, it } from 'vitest';
import { AdmissionControl, OVERLOAD_RETRY_AFTER_S_MAX, type AdmissionControlSettings } from '../../node/admission-control.js';

const SETTINGS: AdmissionControlSettings = { targetDelayMs: 2000, pendingFloor: 100, pendingCeiling: 10_000, rateTimeConstantMs: 5000, rateSampleMs: 500 };
const T0 = 1_000_000;

/** Blocks of `perBlock` transactions every `intervalMs` from `fromMs` to `toMs`; returns the time of the last. */
function commitSteadily(control: AdmissionControl, perBlock: number, intervalMs: number, fromMs: number, toMs: number): number {
  let nowMs = fromMs;
  for (; nowMs + intervalMs <= toMs; ) {
    nowMs += intervalMs;
    control.observeCommitted(perBlock, nowMs);
  }
  return nowMs;
}

describe('overload control', () => {
  it('admits up to the floor before any commit is measured, and refuses beyond it', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    expect(control.commitRatePerS(T0)).toBe(0);
    expect(control.pendingLimit(T0)).toBe(100);
    expect(control.decide(99, T0)).toEqual({ admit: true, pendingLimit: 100 });
    expect(control.decide(100, T0)).toMatchObject({ admit: false, pendingLimit: 100, pending: 100, retryAfterS: 1 });
  });

  it('follows the measured commit rate: the bound becomes rate × target delay', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    // 400 transactions per second, in blocks of 100 every 250 ms, for a minute (12 time constants).
    const nowMs = commitSteadily(control, 100, 250, T0, T0 + 60_000);
    expect(control.commitRatePerS(nowMs)).toBeCloseTo(400, 0);
    expect(control.pendingLimit(nowMs)).toBeGreaterThanOrEqual(795);
    expect(control.pendingLimit(nowMs)).toBeLessThanOrEqual(800);
    expect(control.decide(700, nowMs).admit).toBe(true);
    expect(control.decide(800, nowMs).admit).toBe(false);
  });

  it('moves with the time constant, not with one block: a burst after a quiet spell raises the rate only part of the way', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    control.observeCommitted(0, T0 + 5_000);
    // One block of 2,000 transactions 500 ms later: a sample of 4,000/s, weighted 1 - e^(-0.1).
    control.observeCommitted(2000, T0 + 5_500);
    const rate = control.commitRatePerS(T0 + 5_500);
    expect(rate).toBeCloseTo(4000 * (1 - Math.exp(-0.1)), 6);
    expect(rate).toBeLessThan(400);
  });

  it('folds a sample only once it lasted rateSampleMs: blocks close together add up', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    control.observeCommitted(50, T0 + 100);
    control.observeCommitted(50, T0 + 200);
    expect(control.commitRatePerS(T0 + 499)).toBe(0);
    // 100 transactions in 500 ms: 200/s, weighted 1 - e^(-0.1).
    expect(control.commitRatePerS(T0 + 500)).toBeCloseTo(200 * (1 - Math.exp(-0.1)), 6);
  });

  it('lets the rate decay when nothing executes, so a stalled execution closes admission down to the floor', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    const nowMs = commitSteadily(control, 100, 250, T0, T0 + 60_000);
    expect(control.pendingLimit(nowMs)).toBeGreaterThan(700);
    // Nothing executes for 30 s (six time constants); reading the bound folds the silence in.
    expect(control.pendingLimit(nowMs + 30_000)).toBe(100);
    expect(control.commitRatePerS(nowMs + 30_000)).toBeLessThan(2);
  });

  it('never exceeds the ceiling (the mempool capacity), however fast the chain commits', () => {
    const control = new AdmissionControl({ ...SETTINGS, pendingCeiling: 1000 }, T0);
    const nowMs = commitSteadily(control, 5000, 500, T0, T0 + 60_000);
    expect(control.commitRatePerS(nowMs)).toBeGreaterThan(9000);
    expect(control.pendingLimit(nowMs)).toBe(1000);
    expect(control.decide(1000, nowMs).admit).toBe(false);
  });

  it('names a Retry-After of about the time the excess takes to commit, from 1 s to the maximum', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    // Floor 100 commits in the 2 s target: each transaction over it adds 20 ms.
    const retryAfter = (pending: number) => {
      const decision = control.decide(pending, T0);
      return decision.admit ? undefined : decision.retryAfterS;
    };
    expect(retryAfter(100)).toBe(1);
    expect(retryAfter(149)).toBe(1);
    expect(retryAfter(150)).toBe(2);
    expect(retryAfter(399)).toBe(6);
    expect(retryAfter(1_000_000)).toBe(OVERLOAD_RETRY_AFTER_S_MAX);
  });

  it('ignores a clock that goes backwards', () => {
    const control = new AdmissionControl(SETTINGS, T0);
    const nowMs = commitSteadily(control, 100, 250, T0, T0 + 20_000);
    const rate = control.commitRatePerS(nowMs);
    control.observeCommitted(100, nowMs - 10_000);
    expect(control.commitRatePerS(nowMs - 10_000)).toBe(rate);
  });

  it('refuses settings that could not bound anything', () => {
    expect(() => new AdmissionControl({ ...SETTINGS, targetDelayMs: 0 }, T0)).toThrow(/targetDelayMs/);
    expect(() => new AdmissionControl({ ...SETTINGS, pendingFloor: 20_000 }, T0)).toThrow(/pendingFloor/);
    expect(() => new AdmissionControl({ ...SETTINGS, rateSampleMs: 0.5 }, T0)).toThrow(/rateSampleMs/);
    const control = new AdmissionControl(SETTINGS, T0);
    expect(() => control.observeCommitted(-1, T0)).toThrow();
  });
});
