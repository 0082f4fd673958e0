/**
 * Overload control at admission (issue 12): a validator refuses a client's transaction (503
 * `overloaded`, with Retry-After) when more transactions already wait for commit than the
 * network commits within a target delay, so that what it admits keeps a bounded latency and the
 * excess is told to come back instead of queueing without end.
 *
 * The bound on transactions pending for commit is
 *
 *     clamp(commit rate × targetDelayMs, pendingFloor, pendingCeiling)
 *
 * where the commit rate is an exponentially weighted moving average of the transactions the
 * executed blocks carried per second (time constant rateTimeConstantMs, folded in samples of at
 * least rateSampleMs, so that one block's burst does not swing it), the floor keeps a cold or idle
 * chain admitting (its rate reads 0 until blocks carry transactions), and the ceiling is the
 * mempool's own capacity. An interval in which nothing executes counts as a rate of 0 once it is
 * read, so a stalled execution closes admission instead of trusting a stale rate.
 *
 * Pure: no clock, timers or I/O; every call is given the current time in milliseconds, so the
 * tests drive it with explicit times (test/node/admission-control.test.ts).
 */
import { assert } from '../ledger/assert.js';

export interface AdmissionControlSettings {
  /** The delay to commit that admission aims to keep: pending transactions beyond what commits in it are refused, ms. */
  targetDelayMs: number;
  /** Transactions pending for commit that are always admitted, whatever the measured rate (a cold start, an idle chain). */
  pendingFloor: number;
  /** Transactions pending for commit beyond which nothing is admitted (the mempool's transactionsMax). */
  pendingCeiling: number;
  /** Time constant of the commit rate's moving average, ms. */
  rateTimeConstantMs: number;
  /** Shortest interval folded into the moving average as one sample, ms. */
  rateSampleMs: number;
}

/** Defaults of the config file's `admission` section (node/config.ts); the ceiling comes from the mempool. */
export const DEFAULT_ADMISSION_CONTROL = {
  targetDelayMs: 2_000,
  pendingFloor: 200,
  rateTimeConstantMs: 5_000,
  rateSampleMs: 500,
} as const satisfies Omit<AdmissionControlSettings, 'pendingCeiling'>;

/** The longest Retry-After an `overloaded` refusal names, s. */
export const OVERLOAD_RETRY_AFTER_S_MAX = 30;

export type AdmissionDecision =
  | { admit: true; pendingLimit: number }
  /** Refused for load: `retryAfterS` (1 to OVERLOAD_RETRY_AFTER_S_MAX) is about how long the excess takes to commit at the measured rate. */
  | { admit: false; pendingLimit: number; pending: number; retryAfterS: number };

export interface AdmissionControlStatus {
  /** The moving average of transactions committed per second. */
  commitRatePerS: number;
  /** Transactions pending for commit beyond which submissions are refused. */
  pendingLimit: number;
}

export class AdmissionControl {
  private ratePerS = 0;
  private sampleStartMs: number;
  private sampleCommitted = 0;

  constructor(
    private readonly settings: AdmissionControlSettings,
    nowMs: number,
  ) {
    for (const name of ['targetDelayMs', 'pendingFloor', 'pendingCeiling', 'rateTimeConstantMs', 'rateSampleMs'] as const) {
      assert(Number.isSafeInteger(settings[name]) && settings[name] > 0, `admission control setting ${name} must be a positive integer`);
    }
    assert(settings.pendingFloor <= settings.pendingCeiling, 'admission control pendingFloor must be at most pendingCeiling');
    this.sampleStartMs = nowMs;
  }

  /** An executed block carried `transactions` transactions (empty blocks count too: they measure an idle chain). */
  observeCommitted(transactions: number, nowMs: number): void {
    assert(Number.isSafeInteger(transactions) && transactions >= 0, 'a block carries a whole number of transactions');
    this.sampleCommitted += transactions;
    this.fold(nowMs);
  }

  /** The commit rate as of `nowMs`, with a sample that has run its length folded in (as 0 if nothing executed in it). */
  commitRatePerS(nowMs: number): number {
    this.fold(nowMs);
    return this.ratePerS;
  }

  /** Transactions pending for commit beyond which a submission is refused, as of `nowMs`. */
  pendingLimit(nowMs: number): number {
    const byRate = Math.floor((this.commitRatePerS(nowMs) * this.settings.targetDelayMs) / 1000);
    return Math.min(this.settings.pendingCeiling, Math.max(this.settings.pendingFloor, byRate));
  }

  /** Whether one more transaction may join the `pending` ones that wait for commit. */
  decide(pending: number, nowMs: number): AdmissionDecision {
    const pendingLimit = this.pendingLimit(nowMs);
    if (pending < pendingLimit) return { admit: true, pendingLimit };
    // The limit is what commits in targetDelayMs, so the excess (this one included) commits in
    // about targetDelay × excess / limit.
    const excess = pending - pendingLimit + 1;
    const retryAfterS = Math.min(OVERLOAD_RETRY_AFTER_S_MAX, Math.max(1, Math.ceil((this.settings.targetDelayMs * excess) / pendingLimit / 1000)));
    return { admit: false, pendingLimit, pending, retryAfterS };
  }

  status(nowMs: number): AdmissionControlStatus {
    return { commitRatePerS: this.commitRatePerS(nowMs), pendingLimit: this.pendingLimit(nowMs) };
  }

  /** Folds the current sample into the average once it has lasted rateSampleMs; times that go backwards change nothing. */
  private fold(nowMs: number): void {
    const elapsedMs = nowMs - this.sampleStartMs;
    if (!(elapsedMs >= this.settings.rateSampleMs)) return;
    const sampleRate = (this.sampleCommitted * 1000) / elapsedMs;
    const weight = 1 - Math.exp(-elapsedMs / this.settings.rateTimeConstantMs);
    this.ratePerS += weight * (sampleRate - this.ratePerS);
    this.sampleStartMs = nowMs;
    this.sampleCommitted = 0;
  }
}
