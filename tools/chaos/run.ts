/**
 * A chaos run (issue 13, `custodia chaos`): a local network of real validator processes under
 * steady load, with faults injected up to f validators at a time in an order drawn from a seed,
 * then every fault healed and the invariants checked (tools/chaos/checks.ts): nothing
 * acknowledged is lost, the chains are one chain, every store verifies, nobody double-signed, and
 * commits resumed within a bound after every fault.
 *
 * One fault worker runs per tolerated fault (f of them): each picks a validator no other fault
 * holds, a kind and a hold time from its own seeded stream, injects, holds, heals, and waits for
 * the validator to catch up with the height the network had reached before it moves on. Kinds are
 * dealt from a shuffled deck, every kind once per deal, and a worker always finishes its first
 * deal: every run, however short, injects every kind.
 */
import { BenchCluster } from '../bench/cluster.js';
import { Prng } from '../sim/prng.js';
import { findLost, scanDoubleSigns, verifyData, type DoubleSign, type VerifyOutcome } from './checks.js';
import { CHAOS_FAULT_KINDS, DEFAULT_CLOCK_SKEW_MS, FAULTS, type ChaosFaultKind, type FaultSettings } from './faults.js';
import { SteadyLoad } from './load.js';
import { ChainObserver, type ObservedFork } from './observer.js';
import { StallRecorder, type StallRecord } from './stalls.js';

export interface ChaosOptions {
  validators: number;
  durationS: number;
  seed: number;
  /** Transactions offered per second. */
  ratePerS: number;
  kinds?: readonly ChaosFaultKind[];
  /** A fault is held this long, drawn between the two, ms. */
  holdMs?: { min: number; max: number };
  /** A clock-skew fault sets the clock this far ahead or behind, drawn between the two, ms. */
  clockSkewMs?: { min: number; max: number };
  /** The longest stall or catch-up the run accepts, ms. */
  stallMaxMs?: number;
  /** Keep the testnet folder (logs and data) after the run. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: ChaosFaultKind;
  validator: number;
  /** Seconds from the start of the load. */
  atS: number;
  heldMs: number;
  /** From the heal until the validator held the height the network had at the heal; null if it never did. */
  recoveredMs: number | null;
  /**
   * From the heal until the network committed a block above the height it had at the heal (the
   * issue's "commits resumed"); null if it did not within the recovery timeout. The next fault
   * waits for it, so faults never pile onto a network still recovering from the last.
   */
  resumedMs: number | null;
  /** What went wrong healing it (a failed repair), if anything. */
  healProblem?: string;
}

export interface ChaosReport {
  seed: number;
  validators: number;
  durationS: number;
  faults: FaultRecord[];
  /** Transactions offered, and those a validator answered as committed. */
  sent: number;
  acknowledged: number;
  lost: number;
  lostExamples: Array<{ id: string; validators: number[] }>;
  forks: number;
  forkDetails: ObservedFork[];
  doubleSigns: number;
  doubleSignDetails: DoubleSign[];
  /** The longest time the network's height stood still while load was offered, ms. */
  maxStallMs: number;
  /** The longest stalls, with what every validator did during each (tools/chaos/stalls.ts). */
  stalls: StallRecord[];
  /** The slowest catch-up after a heal, ms (null: some validator never caught up). */
  maxRecoveryMs: number | null;
  /** The slowest resumption of commits after a heal, ms; null if one never resumed. */
  maxResumeMs: number | null;
  verify: VerifyOutcome[];
  /** Whether every validator held one head once the faults had healed and the load stopped. */
  converged: boolean;
  height: number;
  submissionFailures: Record<string, number>;
  /** Whether every check passed. */
  ok: boolean;
}

const DEFAULT_HOLD_MS = { min: 2_000, max: 8_000 };
const DEFAULT_STALL_MAX_MS = 30_000;
/** The quiet time a fault worker leaves between two faults, ms. */
const GAP_MS = { min: 500, max: 3_000 };
const RECOVERY_TIMEOUT_MS = 120_000;
/** A stall this long while load is on is recorded with what each validator did during it. */
const STALL_RECORDED_AFTER_MS = 10_000;
const RESUME_POLL_MS = 100;
const CONVERGENCE_TIMEOUT_MS = 120_000;
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const kinds = options.kinds ?? CHAOS_FAULT_KINDS;
  const hold = options.holdMs ?? DEFAULT_HOLD_MS;
  const settings: FaultSettings = { clockSkewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS };
  const stallMaxMs = options.stallMaxMs ?? DEFAULT_STALL_MAX_MS;
  const faultsTolerated = Math.floor((options.validators - 1) / 3);
  if (faultsTolerated < 1) throw new Error('a chaos run needs at least 4 validators (one tolerated fault)');
  if (kinds.length === 0) throw new Error('a chaos run needs at least one fault kind');

  log(`starting ${options.validators} validators`);
  const cluster = await BenchCluster.start({ validators: options.validators, roundTimeoutBaseMs: 1000, requestsPerSecondPerAddress: 100_000, faultControl: true });
  cluster.keepDataOnInterrupt = options.keep === true;
  try {
    const apiUrls = Array.from({ length: cluster.size }, (_, index) => cluster.apiUrl(index));
    /** The fault each validator is under, if any. */
    const held = new Map<number, ChaosFaultKind>();
    const load = new SteadyLoad(cluster.chainId, cluster.layout.participantKeyFiles, options.ratePerS, {
      available: () => apiUrls.filter((_, index) => { const kind = held.get(index); return kind === undefined || FAULTS[kind].takesRequests; }),
    });
    let startedAtMs = Date.now();
    const stallRecorder = new StallRecorder(
      Array.from({ length: cluster.size }, (_, index) => cluster.metricsUrl(index)),
      () => startedAtMs,
      () => [...held].map(([index, kind]) => `${kind} validator-${index}`),
      Math.min(STALL_RECORDED_AFTER_MS, stallMaxMs),
    );
    const observer = new ChainObserver(apiUrls, undefined, (lastAdvanceAtMs, height, loadOn, nowMs) => stallRecorder.observe(lastAdvanceAtMs, height, loadOn, nowMs));
    observer.start();
    await load.start();
    observer.setLoad(true);
    startedAtMs = Date.now();
    const deadlineMs = startedAtMs + options.durationS * 1000;
    log(`load at ${options.ratePerS}/s for ${options.durationS} s, faults on up to ${faultsTolerated} validator(s) at a time (seed ${options.seed})`);

    const records: FaultRecord[] = [];
    const root = Prng.fromSeed(options.seed, 'chaos');
    const worker = async (prng: Prng) => {
      await sleep(prng.intBetween(GAP_MS.min, GAP_MS.max));
      const deck: ChaosFaultKind[] = [];
      let dealt = 0;
      while (Date.now() < deadlineMs || dealt < kinds.length) {
        const free = cluster.layout.configFiles.map((_, index) => index).filter((index) => !held.has(index));
        const validator = free[prng.intBelow(free.length)]!;
        if (deck.length === 0) deck.push(...shuffled(kinds, prng));
        const kind = deck.pop()!;
        dealt += 1;
        const heldMs = prng.intBetween(hold.min, hold.max);
        held.set(validator, kind);
        const atS = Math.round((Date.now() - startedAtMs) / 100) / 10;
        log(`${atS} s: ${kind} validator-${validator} for ${heldMs} ms`);
        await FAULTS[kind].inject(cluster, validator, prng, settings);
        await sleep(heldMs);
        const heightAtHeal = observer.networkHeight;
        const healProblem = await FAULTS[kind].heal(cluster, validator, settings);
        if (healProblem !== undefined) log(`  healing validator-${validator} failed: ${healProblem}`);
        const healedAtMs = Date.now();
        const recoveredMs = await waitForHeight(apiUrls[validator]!, heightAtHeal, RECOVERY_TIMEOUT_MS).then((caughtUp) => (caughtUp ? Date.now() - healedAtMs : null));
        const resumedMs = await waitUntil(() => observer.networkHeight > heightAtHeal, RECOVERY_TIMEOUT_MS).then((resumed) => (resumed ? Date.now() - healedAtMs : null));
        held.delete(validator);
        records.push({ kind, validator, atS, heldMs, recoveredMs, resumedMs, ...(healProblem === undefined ? {} : { healProblem }) });
        log(
          `  validator-${validator} ${recoveredMs === null ? `did not reach height ${heightAtHeal} within ${RECOVERY_TIMEOUT_MS} ms` : `caught up in ${recoveredMs} ms`}; ` +
            (resumedMs === null ? `the network committed nothing above ${heightAtHeal} within ${RECOVERY_TIMEOUT_MS} ms` : `commits resumed in ${resumedMs} ms`),
        );
        await sleep(prng.intBetween(GAP_MS.min, GAP_MS.max));
      }
    };
    await Promise.all(Array.from({ length: faultsTolerated }, (_, index) => worker(root.fork(`fault-worker-${index}`))));

    observer.setLoad(false);
    await load.stop();
    log(`load stopped: ${load.sent} sent, ${load.acknowledged.size} acknowledged as committed; waiting for every validator to hold one head`);
    const converged = await waitForOneHead(observer, CONVERGENCE_TIMEOUT_MS);
    await observer.stop();
    await stallRecorder.settled();
    for (const stall of stallRecorder.stalls) log(describeStall(stall));
    const ids = [...load.acknowledged];
    log(`looking for ${ids.length} acknowledged transactions on every validator`);
    const lost = await findLost(apiUrls, ids);
    await cluster.stopValidators();
    log('verifying every store from genesis');
    const verify = await Promise.all(cluster.layout.configFiles.map((_, index) => verifyData(index, cluster.dataDirectory(index), cluster.layout.genesisFile)));
    // Stores that ended at one height with different heads hold different chains; heads at
    // different heights (a validator that never caught up) are a stall, not a fork: `converged`.
    const headsByHeight = new Map<number, Set<string | undefined>>();
    for (const outcome of verify) headsByHeight.set(outcome.height, (headsByHeight.get(outcome.height) ?? new Set()).add(outcome.headHash));
    const forkedHeads = [...headsByHeight.values()].filter((hashes) => hashes.size > 1).length;
    const doubleSigns = await scanDoubleSigns(cluster.layout.configFiles.map((_, index) => cluster.logFile(index)));
    const slowest = (values: Array<number | null>) => (values.includes(null) ? null : Math.max(0, ...(values as number[])));
    const maxRecoveryMs = slowest(records.map((record) => record.recoveredMs));
    const maxResumeMs = slowest(records.map((record) => record.resumedMs));
    const forks = observer.forks.length + forkedHeads;
    const report: ChaosReport = {
      seed: options.seed,
      validators: options.validators,
      durationS: options.durationS,
      faults: records,
      sent: load.sent,
      acknowledged: ids.length,
      lost: lost.lost,
      lostExamples: lost.examples,
      forks,
      forkDetails: observer.forks,
      doubleSigns: doubleSigns.length,
      doubleSignDetails: doubleSigns,
      maxStallMs: observer.maxStallMs,
      stalls: stallRecorder.stalls,
      maxRecoveryMs,
      maxResumeMs,
      verify,
      converged,
      height: observer.networkHeight,
      submissionFailures: load.failures,
      ok: false,
    };
    report.ok =
      report.lost === 0 &&
      report.forks === 0 &&
      report.doubleSigns === 0 &&
      converged &&
      verify.every((outcome) => outcome.ok) &&
      report.maxStallMs <= stallMaxMs &&
      maxRecoveryMs !== null &&
      maxRecoveryMs <= stallMaxMs &&
      maxResumeMs !== null &&
      maxResumeMs <= stallMaxMs &&
      records.every((record) => record.healProblem === undefined) &&
      report.acknowledged > 0;
    return report;
  } finally {
    await cluster.stop(options.keep === true);
  }
}

/** One line a stall: when, how long, the faults held, and per validator its rounds, votes, timeouts and refusals. */
export function describeStall(stall: StallRecord): string {
  const validators = stall.validators.map((entry) => {
    if (entry.before === undefined || entry.after === undefined) return `validator-${entry.validator} silent`;
    const refusals = Object.entries(entry.rejections ?? {}).map(([reason, count]) => `${reason} ${count}`).join(', ');
    return `validator-${entry.validator} rounds ${entry.before.round}->${entry.after.round}, height ${entry.before.height}->${entry.after.height}, votes ${entry.votesSent}, timeouts ${entry.timeoutsSent}${refusals === '' ? '' : `, refused: ${refusals}`}`;
  });
  return `stall of ${stall.durationMs} ms at ${stall.atS} s, height ${stall.height}, faults held: ${stall.faultsHeld.join(', ') || 'none'}; ${validators.join('; ')}`;
}

function shuffled<T>(items: readonly T[], prng: Prng): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = prng.intBelow(index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(RESUME_POLL_MS);
  }
  return true;
}

async function waitForHeight(apiUrl: string, height: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/v1/ledger/head`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok && ((await response.json()) as { height: number }).height >= height) return true;
    } catch {
      // Not up yet.
    }
    await sleep(POLL_MS);
  }
  return false;
}

/** Waits until every validator answers with the same head; each read also goes through the fork check. */
async function waitForOneHead(observer: ChainObserver, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const heads = await observer.heads();
    observer.observe(heads);
    if (heads.every((head) => head !== undefined) && new Set(heads.map((head) => `${head!.height}/${head!.blockHash}`)).size === 1) return true;
    await sleep(POLL_MS);
  }
  return false;
}
