/**
 * `custodia bench --max` (tools/bench/search.ts, measureMaximum): the search, then its best rate
 * for the full window, one result that carries every trial (rate, passed, what it missed) beside
 * the final run. A fake network stands in (support/fake-bench-network.ts): p99 holds up to a capacity.
 */
import { describe, expect, it } from 'vitest';
import type { RunOptions, RunResult } from '../../tools/bench/run.js';
import { measureMaximum } from '../../tools/bench/search.js';
import { fakeRunResult } from './support/fake-bench-network.js';

function networkOf(capacityPerS: number) {
  const calls: RunOptions[] = [];
  const run = async (options: RunOptions): Promise<RunResult> => {
    calls.push(options);
    return fakeRunResult(options, capacityPerS);
  };
  return { run, calls };
}

const base = { validators: 4, durationS: 60, warmupS: 5, batch: 1, wan: false, profile: false };
const search = { trialS: 15, startPerS: 100, ceilingPerS: 20_000, bisections: 2 };

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
    expect(result.detail.search).toMatchObject({ bestRatePerS: 300, trialS: 15 });
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

  it('fails with what the first trial missed when even it does not pass, and runs nothing more', async () => {
    const network = networkOf(50);
    await expect(measureMaximum(base, search, network.run, () => undefined)).rejects.toThrow('even 100 events/s did not pass: p99 5000 ms above 1000 ms; committed 50/s of 100 offered');
    expect(network.calls).toHaveLength(1);
  });
});
