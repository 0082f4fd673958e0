/**
 * Runs the ledger store's background scrub (ledger/store/scrub.ts) at a bounded pace: one
 * height, then a wait of 1000 / scrubBlocksPerSecond ms on a timer, so the event loop serves
 * requests and consensus between heights. A new pass starts no sooner than `passIntervalMs`
 * after the last one started: a young or short chain would otherwise be walked again and again,
 * re-verifying the same few blocks (and their certificates' signatures) at the full rate for
 * ever, which was a tenth of a lightly loaded validator's CPU (docs/performance.md). `stop()`
 * waits for the height being checked, so the validator can close the store after it.
 */
import type { ScrubStep, StoreScrub } from '../ledger/store/scrub.js';
import type { Logger } from './logger.js';

/** The shortest time from the start of one scrub pass to the start of the next. */
export const SCRUB_PASS_INTERVAL_MS = 60 * 60 * 1000;

export interface StoreScrubberOptions {
  scrub: StoreScrub;
  /** At most this many heights per second; 0 never starts the scrub. */
  blocksPerSecond: number;
  /** A pass starts at least this long after the previous one started (SCRUB_PASS_INTERVAL_MS unless given). */
  passIntervalMs?: number;
  now?: () => number;
  onStep: (step: ScrubStep) => void;
  logger: Logger;
}

export class StoreScrubber {
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: StoreScrubberOptions) {}

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
    const now = this.options.now ?? Date.now;
    const passIntervalMs = this.options.passIntervalMs ?? SCRUB_PASS_INTERVAL_MS;
    let passStartedAtMs = now();
    while (!this.stopped) {
      let nextWaitMs = waitMs;
      try {
        const step = await this.options.scrub.step();
        this.options.onStep(step);
        if (step.kind !== 'idle' && step.passCompleted) {
          nextWaitMs = Math.max(waitMs, passStartedAtMs + passIntervalMs - now());
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
