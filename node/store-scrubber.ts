/**
 * Runs the ledger store's background scrub (ledger/store/scrub.ts) at a bounded pace: one
 * height, then a wait of 1000 / scrubBlocksPerSecond ms on a timer, so the event loop serves
 * requests and consensus between heights. `stop()` waits for the height being checked, so the
 * validator can close the store after it.
 */
import type { ScrubStep, StoreScrub } from '../ledger/store/scrub.js';
import type { Logger } from './logger.js';

export interface StoreScrubberOptions {
  scrub: StoreScrub;
  /** At most this many heights per second; 0 never starts the scrub. */
  blocksPerSecond: number;
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
    while (!this.stopped) {
      try {
        this.options.onStep(await this.options.scrub.step());
      } catch (error) {
        // A failure of the check itself (not damage, which is a value): said once, then the scrub stops rather than spin.
        this.options.logger.error({ error }, 'the store scrub failed and stopped');
        return;
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, waitMs);
        this.timer.unref();
      });
    }
  }
}
