/**
 * What each validator was doing while the network stalled (issue 13: a stall beyond the bound is
 * a failed run, and its cause must be findable afterwards). When the observer sees no new block
 * for `openAfterMs` while load is on, the recorder reads every validator's /metrics (round,
 * executed height, votes and timeouts sent, the core's refusals by reason, bodies wanted, the
 * mempool); when the network commits again it reads them once more, and the stall's record keeps
 * the difference, with the faults held when it began. The longest `keptMax` stalls are reported.
 */
const SNAPSHOT_TIMEOUT_MS = 1_500;
const STALLS_KEPT_MAX = 5;

/** A validator's counters and gauges that explain a stall, from its Prometheus text. */
export interface ValidatorSnapshot {
  round: number;
  height: number;
  votesSent: number;
  timeoutsSent: number;
  mempool: number;
  bodiesWanted: number;
  rejections: Record<string, number>;
}

export interface ValidatorDuringStall {
  validator: number;
  /** Undefined when the validator did not answer (down, paused, cut off). */
  before?: Pick<ValidatorSnapshot, 'round' | 'height' | 'mempool'>;
  after?: Pick<ValidatorSnapshot, 'round' | 'height' | 'mempool'>;
  votesSent?: number;
  timeoutsSent?: number;
  bodiesWanted?: number;
  /** Refusals by reason counted during the stall (both reads answered). */
  rejections?: Record<string, number>;
}

export interface StallRecord {
  /** Seconds from the start of the load to the last block before the stall. */
  atS: number;
  durationMs: number;
  height: number;
  /** The faults held when the stall was noticed, as "kind validator-i". */
  faultsHeld: string[];
  validators: ValidatorDuringStall[];
}

/** Parses the few metrics a stall record needs from Prometheus' text exposition format. */
export function parseSnapshot(text: string): ValidatorSnapshot {
  const snapshot: ValidatorSnapshot = { round: 0, height: 0, votesSent: 0, timeoutsSent: 0, mempool: 0, bodiesWanted: 0, rejections: {} };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? ([0-9.eE+-]+)$/.exec(line.trim());
    if (match === null) continue;
    const [, name, labels = '', valueText] = match;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    switch (name) {
      case 'custodia_consensus_round':
        snapshot.round = value;
        break;
      case 'custodia_ledger_height':
        snapshot.height = value;
        break;
      case 'custodia_votes_sent_total':
        snapshot.votesSent = value;
        break;
      case 'custodia_timeouts_sent_total':
        snapshot.timeoutsSent = value;
        break;
      case 'custodia_mempool_transactions':
        snapshot.mempool = value;
        break;
      case 'custodia_transaction_bodies_wanted_total':
        snapshot.bodiesWanted += value;
        break;
      case 'custodia_consensus_rejections': {
        const reason = /reason="([^"]*)"/.exec(labels)?.[1];
        if (reason !== undefined) snapshot.rejections[reason] = value;
        break;
      }
    }
  }
  return snapshot;
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [reason, count] of Object.entries(after)) {
    const grown = count - (before[reason] ?? 0);
    if (grown > 0) changed[reason] = grown;
  }
  return changed;
}

export function duringStall(validator: number, before: ValidatorSnapshot | undefined, after: ValidatorSnapshot | undefined): ValidatorDuringStall {
  const brief = (snapshot: ValidatorSnapshot) => ({ round: snapshot.round, height: snapshot.height, mempool: snapshot.mempool });
  const record: ValidatorDuringStall = { validator };
  if (before !== undefined) record.before = brief(before);
  if (after !== undefined) record.after = brief(after);
  if (before !== undefined && after !== undefined) {
    record.votesSent = after.votesSent - before.votesSent;
    record.timeoutsSent = after.timeoutsSent - before.timeoutsSent;
    record.bodiesWanted = after.bodiesWanted - before.bodiesWanted;
    record.rejections = difference(after.rejections, before.rejections);
  }
  return record;
}

export class StallRecorder {
  readonly stalls: StallRecord[] = [];
  private open: { startedAtMs: number; height: number; faultsHeld: string[]; before: Promise<Array<ValidatorSnapshot | undefined>> } | undefined;

  constructor(
    private readonly metricsUrls: readonly string[],
    private readonly loadStartedAtMs: () => number,
    private readonly faultsHeld: () => string[],
    private readonly openAfterMs: number,
    private readonly keptMax = STALLS_KEPT_MAX,
  ) {}

  /** Called with every observation: the time of the network's last new block, its height, and now. */
  observe(lastAdvanceAtMs: number, height: number, loadOn: boolean, nowMs: number): void {
    if (this.open === undefined) {
      if (loadOn && nowMs - lastAdvanceAtMs >= this.openAfterMs) {
        this.open = { startedAtMs: lastAdvanceAtMs, height, faultsHeld: this.faultsHeld(), before: this.snapshots() };
      }
      return;
    }
    if (height > this.open.height || !loadOn) {
      const opened = this.open;
      this.open = undefined;
      void this.close(opened, nowMs);
    }
  }

  /** Waits for records being closed (their second reads). */
  async settled(): Promise<void> {
    await Promise.all(this.closing);
  }

  private readonly closing = new Set<Promise<void>>();

  private close(opened: NonNullable<StallRecorder['open']>, endedAtMs: number): Promise<void> {
    const done = (async () => {
      const [before, after] = await Promise.all([opened.before, this.snapshots()]);
      this.keep({
        atS: Math.round((opened.startedAtMs - this.loadStartedAtMs()) / 100) / 10,
        durationMs: endedAtMs - opened.startedAtMs,
        height: opened.height,
        faultsHeld: opened.faultsHeld,
        validators: this.metricsUrls.map((_, index) => duringStall(index, before[index], after[index])),
      });
    })();
    this.closing.add(done);
    return done.finally(() => this.closing.delete(done));
  }

  private keep(record: StallRecord): void {
    this.stalls.push(record);
    this.stalls.sort((a, b) => b.durationMs - a.durationMs);
    this.stalls.length = Math.min(this.stalls.length, this.keptMax);
  }

  private snapshots(): Promise<Array<ValidatorSnapshot | undefined>> {
    return Promise.all(
      this.metricsUrls.map(async (url) => {
        try {
          const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS) });
          return response.ok ? parseSnapshot(await response.text()) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
  }
}
