/**
 * Runs the ledger store's background scrub (ledger/store/scrub.ts) at a bounded pace: one
 * height, then a wait on a timer, so the event loop serves requests and consensus between
 * heights. The wait is the longer of 1000 / scrubBlocksPerSecond ms and what keeps the scrub busy
 * at most scrubBusyPercentMax of the time: a height that took d ms (wall time, its reads and its
 * signature checks) is followed by at least d × (100 − p) / p ms of rest. The block rate alone
 * did not bound the cost: while the chain grew faster than the rate, the walk never paused, and
 * at 100 events/s its heights of a few transactions each took an eighth of every validator's CPU
 * (docs/performance.md, "Levers"). A new pass starts no sooner than `passIntervalMs` after the
 * last one started: a young or short chain would otherwise be walked again and again,
 * re-verifying the same few blocks (and their certificates' signatures) for ever. `stop()` waits
 * for the height being checked, so the validator can close the store after it.
 */
import assert from 'node:assert/strict';
import { DEFAULT_SCRUB_BUSY_PERCENT_MAX, SCRUB_BUSY_PERCENT_MAX, SCRUB_BUSY_PERCENT_MIN, type ScrubStep, type StoreScrub } from '../ledger/store/scrub.js';
import type { Logger } from './logger.js';

/** The shortest time from the start of one scrub pass to the start of the next. */
export const SCRUB_PASS_INTERVAL_MS = 60 * 60 * 1000;

export interface StoreScrubberOptions {
  scrub: StoreScrub;
  /** At most this many heights per second; 0 never starts the scrub. */
  blocksPerSecond: number;
  /** At most this percent of wall time spent checking (DEFAULT_SCRUB_BUSY_PERCENT_MAX unless given). */
  busyPercentMax?: number;
  /** A pass starts at least this long after the previous one started (SCRUB_PASS_INTERVAL_MS unless given). */
  passIntervalMs?: number;
  /** A monotonic clock, ms (performance.now unless given). */
  now?: () => number;
  /** Each height's outcome and how long its check took, ms. */
  onStep: (step: ScrubStep, durationMs: number) => void;
  logger: Logger;
}

export class StoreScrubber {
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: StoreScrubberOptions) {
    const busyPercentMax = options.busyPercentMax ?? DEFAULT_SCRUB_BUSY_PERCENT_MAX;
    assert(busyPercentMax >= SCRUB_BUSY_PERCENT_MIN && busyPercentMax <= SCRUB_BUSY_PERCENT_MAX, 'the scrub busy share is out of bounds');
  }

  start(): void {
    if (this.options.blocksPerSecond <= 0 || this.running !== undefined) return;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const waitMs = 1000 / this.options.blocksPerSecond;
    const busyPercentMax = this.options.busyPercentMax ?? DEFAULT_SCRUB_BUSY_PERCENT_MAX;
    const restPerBusyMs = (100 - busyPercentMax) / busyPercentMax;
    const now = this.options.now ?? (() => performance.now());
    const passIntervalMs = this.options.passIntervalMs ?? SCRUB_PASS_INTERVAL_MS;
    let passStartedAtMs = now();
    while (!this.stopped) {
      let nextWaitMs = waitMs;
      try {
        const stepStartedAtMs = now();
        const step = await this.options.scrub.step();
        const durationMs = Math.max(0, now() - stepStartedAtMs);
        nextWaitMs = Math.max(waitMs, durationMs * restPerBusyMs);
        this.options.onStep(step, durationMs);
        if (step.kind !== 'idle' && step.passCompleted) {
          nextWaitMs = Math.max(nextWaitMs, passStartedAtMs + passIntervalMs - now());
          passStartedAtMs = now() + nextWaitMs;
        }
      } catch (error) {
        // A failure of the check itself (not damage, which is a value): said once, then the scrub stops rather than spin.
        this.options.logger.error({ error }, 'the store scrub failed and stopped');
        return;
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, nextWaitMs);
        this.timer.unref();
      });
    }
  }
}
