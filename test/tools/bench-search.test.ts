/**
 * `custodia bench --max` (tools/bench/search.ts, measureMaximum): the search, then its best rate
 * for the full window, stepping down while a whole window does not hold what a short trial did;
 * one result that carries every trial and full-window run (rate, passed, what it missed) and
 * whether the result held. A fake network stands in (support/fake-bench-network.ts): p99 holds up
 * to a capacity, which may be lower over a whole window than over a trial.
 */
import { describe, expect, it } from 'vitest';
import type { RunOptions, RunResult } from '../../tools/bench/run.js';
import { measureMaximum } from '../../tools/bench/search.js';
import { fakeRunResult } from './support/fake-bench-network.js';

function networkOf(capacity: number | ((durationS: number) => number)) {
  const calls: RunOptions[] = [];
  const run = async (options: RunOptions): Promise<RunResult> => {
    calls.push(options);
    return fakeRunResult(options, capacity);
  };
  return { run, calls };
}

const base = { validators: 4, durationS: 60, warmupS: 5, batch: 1, wan: false, profile: false };
const search = { trialS: 15, startPerS: 100, ceilingPerS: 20_000, bisections: 2, confirmations: 3 };

describe('the maximum search of custodia bench --max', () => {
  it('runs the best rate for the full window and carries every trial, with what each missed', async () => {
    const network = networkOf(300);
    const lines: string[] = [];
    const result = await measureMaximum(base, search, network.run, (line) => lines.push(line));
    expect(network.calls.map((call) => [call.load.kind === 'rate' ? call.load.ratePerS : 0, call.durationS])).toEqual([
      [100, 15],
      [200, 15],
      [400, 15],
      [300, 15],
      [350, 15],
      [300, 60],
    ]);
    expect(result).toMatchObject({ offeredPerS: 300, durationS: 60, committedPerS: 300 });
    expect(result.detail.search).toMatchObject({ bestRatePerS: 300, held: true, trialS: 15 });
    expect(result.detail.search!.confirmations).toEqual([{ ratePerS: 300, passed: true, shortfalls: [], committedPerS: 300, latencyMs: { p50: 10, p95: 50, p99: 100, max: 6000 } }]);
    expect(result.detail.search!.trials.map((trial) => [trial.ratePerS, trial.passed])).toEqual([
      [100, true],
      [200, true],
      [400, false],
      [300, true],
      [350, false],
    ]);
    expect(result.detail.search!.trials[2]).toMatchObject({ committedPerS: 300, latencyMs: { p99: 5000 }, shortfalls: ['p99 5000 ms above 1000 ms', 'committed 300/s of 400 offered'] });
    expect(result.detail.search!.trials[0]!.shortfalls).toEqual([]);
    expect(lines.at(-1)).toBe('best: 300 events/s; measuring it for 60 s');
  });

  it('steps down from the best trial while a whole window does not hold it, and keeps the first rate that holds', async () => {
    // Trials of 15 s pass up to 300 events/s; a 60-s window holds only 260.
    const network = networkOf((durationS) => (durationS > 15 ? 260 : 300));
    const lines: string[] = [];
    const result = await measureMaximum(base, search, network.run, (line) => lines.push(line));
    expect(network.calls.slice(5).map((call) => [call.load.kind === 'rate' ? call.load.ratePerS : 0, call.durationS])).toEqual([
      [300, 60],
      [255, 60],
    ]);
    expect(result).toMatchObject({ offeredPerS: 255, durationS: 60, committedPerS: 255, latencyMs: { p99: 100 } });
    expect(result.detail.search).toMatchObject({ bestRatePerS: 255, held: true });
    expect(result.detail.search!.confirmations.map((run) => [run.ratePerS, run.passed, run.shortfalls])).toEqual([
      [300, false, ['p99 5000 ms above 1000 ms', 'committed 260/s of 300 offered']],
      [255, true, []],
    ]);
    expect(lines).toContain('  300 events/s did not hold for 60 s (p99 5000 ms above 1000 ms; committed 260/s of 300 offered); measuring 255 events/s');
  });

  it('says the result did not hold when no full window does within its runs, and returns the last', async () => {
    const network = networkOf((durationS) => (durationS > 15 ? 100 : 300));
    const result = await measureMaximum(base, search, network.run, () => undefined);
    expect(network.calls.slice(5).map((call) => call.load.kind === 'rate' ? call.load.ratePerS : 0)).toEqual([300, 255, 216]);
    expect(network.calls).toHaveLength(5 + search.confirmations);
    expect(result).toMatchObject({ offeredPerS: 216, latencyMs: { p99: 5000 } });
    expect(result.detail.search).toMatchObject({ bestRatePerS: 216, held: false });
    expect(result.detail.search!.confirmations.every((run) => !run.passed)).toBe(true);
  });

  it('fails with what the first trial missed when even it does not pass, and runs nothing more', async () => {
    const network = networkOf(50);
    await expect(measureMaximum(base, search, network.run, () => undefined)).rejects.toThrow('even 100 events/s did not pass: p99 5000 ms above 1000 ms; committed 50/s of 100 offered');
    expect(network.calls).toHaveLength(1);
  });
});
