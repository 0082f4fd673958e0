/**
 * The search for the highest rate a network sustains (issue 12: "a search for the highest rate
 * whose p99 stays under 1 s"), shared by `custodia bench --max` (tools/commands/bench.ts) and the
 * standard matrix (matrix.ts): short trials doubling the rate while each passes, then bisections
 * between the last rate that passed and the first that did not. A trial passes when its p99 is
 * under the bound, it committed what it was offered, and no request failed; a trial that does
 * not pass says which of these it missed.
 */
import type { RunOptions, RunResult } from './run.js';

/** The p99 a rate must keep to pass the search, ms. */
export const MAX_SEARCH_P99_MS = 1000;
/** A trial must commit at least this share of the rate it offered. */
const COMMITTED_SHARE_MIN = 0.95;
/** A full-window run that does not hold its rate is followed by one at this share of that rate. */
const STEP_DOWN_SHARE = 0.85;

export interface SearchConfig {
  /** Each trial's measured window, s. */
  trialS: number;
  startPerS: number;
  ceilingPerS: number;
  bisections: number;
  /**
   * Full-window runs at most: the best trial's rate first and, while a run does not hold (a short
   * trial passes rates a whole window does not), one at STEP_DOWN_SHARE of the rate before.
   */
  confirmations: number;
}

/** `custodia bench --max` and the standard matrix: 15-s trials doubling from 100 events/s up to 20,000, then three bisections, then up to three full-window runs. */
export const STANDARD_SEARCH: SearchConfig = { trialS: 15, startPerS: 100, ceilingPerS: 20_000, bisections: 3, confirmations: 3 };

export interface SearchTrial {
  ratePerS: number;
  passed: boolean;
  /** What the trial missed (empty when it passed). Absent from trials recorded before it was. */
  shortfalls?: string[];
  result: RunResult;
}

/** Why a trial does not pass, one phrase per rule missed; none when it passes. */
export function searchShortfalls(result: RunResult): string[] {
  const shortfalls: string[] = [];
  if (result.latencyMs.p99 > MAX_SEARCH_P99_MS) shortfalls.push(`p99 ${result.latencyMs.p99} ms above ${MAX_SEARCH_P99_MS} ms`);
  const offered = result.offeredPerS ?? 0;
  if (result.committedPerS < COMMITTED_SHARE_MIN * offered) shortfalls.push(`committed ${result.committedPerS}/s of ${offered} offered`);
  if (result.detail.failed > 0) {
    const reasons = Object.entries(result.detail.failures).map(([reason, count]) => `${count} ${reason}`).join(', ');
    shortfalls.push(`${result.detail.failed} of ${result.detail.sent} requests failed (${reasons})`);
  }
  return shortfalls;
}

export type Runner = (options: RunOptions) => Promise<RunResult>;

/** The trials run and the highest rate that passed (undefined when even the first did not). */
export async function findMaximumRate(
  base: Omit<RunOptions, 'load'>,
  search: SearchConfig,
  run: Runner,
  log: (line: string) => void,
): Promise<{ bestRatePerS?: number; trials: SearchTrial[] }> {
  const trials: SearchTrial[] = [];
  const trial = async (ratePerS: number) => {
    const result = await run({ ...base, durationS: search.trialS, load: { kind: 'rate', ratePerS } });
    const shortfalls = searchShortfalls(result);
    const passed = shortfalls.length === 0;
    trials.push({ ratePerS, passed, shortfalls, result });
    log(`    trial ${ratePerS} events/s: committed ${result.committedPerS}/s, p99 ${result.latencyMs.p99} ms${passed ? '' : ` (did not pass: ${shortfalls.join('; ')})`}`);
    return passed;
  };
  let good = 0;
  let bad = 0;
  for (let rate = search.startPerS; rate <= search.ceilingPerS; rate *= 2) {
    if (await trial(rate)) good = rate;
    else {
      bad = rate;
      break;
    }
  }
  if (good === 0) return { trials };
  if (bad !== 0) {
    for (let step = 0; step < search.bisections; step++) {
      const middle = Math.round((good + bad) / 2);
      if (middle === good || middle === bad) break;
      if (await trial(middle)) good = middle;
      else bad = middle;
    }
  }
  return { bestRatePerS: good, trials };
}

/** The error of a search whose first trial did not pass: what it missed. */
export function firstTrialFailed(trials: readonly SearchTrial[]): string {
  const first = trials[0];
  return first === undefined ? 'the search ran no trial' : `even ${first.ratePerS} events/s did not pass: ${(first.shortfalls ?? []).join('; ')}`;
}

export interface SearchOutcome {
  /** The first full-window run that held, else the last one run; absent when even the first trial did not pass. */
  best?: RunResult;
  bestRatePerS?: number;
  /** Whether `best` held its rate for the whole window by the trials' rules. */
  held?: boolean;
  trials: SearchTrial[];
  /** The full-window runs, in the order run. */
  confirmations: SearchTrial[];
}

/**
 * The search, then the best rate it found run for the full window (`custodia bench --max` and
 * the matrix's maximum), stepping down while a full window does not hold what a short trial
 * did, at most `search.confirmations` runs: the result is the highest rate whose p99 stayed
 * under the bound for the whole window, or says that none did. No run when even the first
 * trial did not pass.
 */
export async function searchMaximum(base: Omit<RunOptions, 'load'>, search: SearchConfig, run: Runner, log: (line: string) => void): Promise<SearchOutcome> {
  const found = await findMaximumRate(base, search, run, log);
  const confirmations: SearchTrial[] = [];
  if (found.bestRatePerS === undefined) return { trials: found.trials, confirmations };
  let ratePerS = found.bestRatePerS;
  log(`best: ${ratePerS} events/s; measuring it for ${base.durationS} s`);
  for (;;) {
    const result = await run({ ...base, load: { kind: 'rate', ratePerS } });
    const shortfalls = searchShortfalls(result);
    const passed = shortfalls.length === 0;
    confirmations.push({ ratePerS, passed, shortfalls, result });
    if (passed) return { best: result, bestRatePerS: ratePerS, held: true, trials: found.trials, confirmations };
    const lower = Math.floor(ratePerS * STEP_DOWN_SHARE);
    if (confirmations.length >= search.confirmations || lower < 1) return { best: result, bestRatePerS: ratePerS, held: false, trials: found.trials, confirmations };
    log(`  ${ratePerS} events/s did not hold for ${base.durationS} s (${shortfalls.join('; ')}); measuring ${lower} events/s`);
    ratePerS = lower;
  }
}

/**
 * `custodia bench --max`: the result is the full run the search settled on, with the search's
 * trials and full-window runs in `detail.search`, so one JSON object shows which rates passed a
 * trial, which held for the whole window, and whether the result did (`held`). Throws what the
 * first trial missed when even it did not pass.
 */
export async function measureMaximum(base: Omit<RunOptions, 'load'>, search: SearchConfig, run: Runner, log: (line: string) => void): Promise<RunResult> {
  log(`searching for the highest rate with p99 under ${MAX_SEARCH_P99_MS} ms (${search.trialS} s trials)`);
  const searched = await searchMaximum(base, search, run, log);
  if (searched.best === undefined || searched.bestRatePerS === undefined) throw new Error(firstTrialFailed(searched.trials));
  const record = (trial: SearchTrial) => ({
    ratePerS: trial.ratePerS,
    passed: trial.passed,
    shortfalls: trial.shortfalls ?? [],
    committedPerS: trial.result.committedPerS,
    latencyMs: trial.result.latencyMs,
  });
  return {
    ...searched.best,
    detail: {
      ...searched.best.detail,
      search: { bestRatePerS: searched.bestRatePerS, held: searched.held === true, trialS: search.trialS, trials: searched.trials.map(record), confirmations: searched.confirmations.map(record) },
    },
  };
}
