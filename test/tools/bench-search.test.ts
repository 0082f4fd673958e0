/**
 * `custodia bench --max` (tools/bench/search.ts, measureMaximum): the search, then its best rate
 * for the full window, one result that carries every trial (rate, passed, what it missed) beside
 * the final run. A fake runner stands in for the network: p99 holds up to a capacity.
 */
import { describe, expect, it } from 'vitest';
import type { RunOptions, RunResult } from '../../tools/bench/run.js';
import { measureMaximum } from '../../tools/bench/search.js';

function networkOf(capacityPerS: number) {
  const calls: RunOptions[] = [];
  const run = async (options: RunOptions): Promise<RunResult> => {
    calls.push(options);
    const rate = options.load.kind === 'rate' ? options.load.ratePerS : 0;
    return {
      validators: options.validators,
      durationS: options.durationS,
      offeredPerS: rate,
      committedPerS: Math.min(rate, capacityPerS),
      latencyMs: { p50: 10, p95: 50, p99: rate <= capacityPerS ? 200 : 4000, max: 5000 },
      rssMbMax: 150,
      cpuSecondsPerValidator: [1],
      cpuBreakdown: {} as RunResult['cpuBreakdown'],
      detail: { load: `${rate} events/s open loop`, batch: 1, wan: false, sent: rate, acknowledged: rate, failed: 0, failures: {}, rssMbPerValidator: [150], profiledBusySeconds: 0 },
    };
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
    expect(result.detail.search!.trials[2]).toMatchObject({ committedPerS: 300, latencyMs: { p99: 4000 }, shortfalls: ['p99 4000 ms above 1000 ms', 'committed 300/s of 400 offered'] });
    expect(result.detail.search!.trials[0]!.shortfalls).toEqual([]);
    expect(lines.at(-1)).toBe('best: 300 events/s; measuring it for 60 s');
  });

  it('fails with what the first trial missed when even it does not pass, and runs nothing more', async () => {
    const network = networkOf(50);
    await expect(measureMaximum(base, search, network.run, () => undefined)).rejects.toThrow('even 100 events/s did not pass: p99 4000 ms above 1000 ms; committed 50/s of 100 offered');
    expect(network.calls).toHaveLength(1);
  });
});
