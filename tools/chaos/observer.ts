/**
 * Watches a chaos run from outside: every sampleIntervalMs it reads each reachable validator's
 * ledger head, keeps the first block hash seen at each height (a different hash at a height
 * already seen is a fork, whichever validator showed it), and measures stalls: the longest time
 * the network's highest committed height did not move while load was offered.
 */
const HEAD_TIMEOUT_MS = 1_000;
/** Heights remembered for the fork check; older ones are compared at the end through the heads. */
const HEIGHTS_REMEMBERED_MAX = 1_000_000;

export interface ObservedFork {
  height: number;
  hashes: string[];
  validators: number[];
}

export class ChainObserver {
  readonly forks: ObservedFork[] = [];
  /** The longest time without a new committed block while load was on, ms. */
  maxStallMs = 0;
  networkHeight = 0;
  private readonly hashAt = new Map<number, { hash: string; validator: number }>();
  private lastAdvanceAtMs = Date.now();
  private loadOn = false;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly apiUrls: readonly string[],
    private readonly sampleIntervalMs = 250,
    /** Told after every observation (tools/chaos/stalls.ts records what validators did during a stall). */
    private readonly listener?: (lastAdvanceAtMs: number, networkHeight: number, loadOn: boolean, nowMs: number) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sampling ??= this.sample().finally(() => (this.sampling = undefined));
    }, this.sampleIntervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.sampling;
  }

  /** Stalls count only while load is offered: an idle chain rightly commits nothing. */
  setLoad(on: boolean, nowMs = Date.now()): void {
    this.loadOn = on;
    this.lastAdvanceAtMs = nowMs;
  }

  /** Heads of every validator that answers, by index (undefined for those that do not). */
  async heads(): Promise<Array<{ height: number; blockHash: string } | undefined>> {
    return Promise.all(
      this.apiUrls.map(async (url) => {
        try {
          const response = await fetch(`${url}/v1/ledger/head`, { signal: AbortSignal.timeout(HEAD_TIMEOUT_MS) });
          if (!response.ok) return undefined;
          const head = (await response.json()) as { height: number; blockHash: string };
          return { height: head.height, blockHash: head.blockHash };
        } catch {
          return undefined;
        }
      }),
    );
  }

  /** Records what one round of heads shows; exposed so the final check can feed its own reads. */
  observe(heads: ReadonlyArray<{ height: number; blockHash: string } | undefined>, nowMs = Date.now()): void {
    for (const [validator, head] of heads.entries()) {
      if (head === undefined) continue;
      const seen = this.hashAt.get(head.height);
      if (seen === undefined) {
        if (this.hashAt.size < HEIGHTS_REMEMBERED_MAX) this.hashAt.set(head.height, { hash: head.blockHash, validator });
      } else if (seen.hash !== head.blockHash && !this.forks.some((fork) => fork.height === head.height)) {
        this.forks.push({ height: head.height, hashes: [seen.hash, head.blockHash], validators: [seen.validator, validator] });
      }
    }
    const highest = Math.max(0, ...heads.map((head) => head?.height ?? 0));
    if (this.loadOn) this.maxStallMs = Math.max(this.maxStallMs, nowMs - this.lastAdvanceAtMs);
    if (highest > this.networkHeight) {
      this.networkHeight = highest;
      this.lastAdvanceAtMs = nowMs;
    }
    this.listener?.(this.lastAdvanceAtMs, this.networkHeight, this.loadOn, nowMs);
  }

  private async sample(): Promise<void> {
    this.observe(await this.heads());
  }
}
