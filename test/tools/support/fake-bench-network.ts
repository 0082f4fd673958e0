/**
 * A stand-in for runBenchmark (tools/bench/run.ts) in the bench's tests: a network that commits
 * what it is offered and keeps p99 at 100 ms up to its capacity in events/s, and above it commits
 * its capacity at p99 5 s. The capacity may depend on the window's length, as a real network's
 * does when a short trial passes a rate that a whole minute does not hold.
 */
import type { RunOptions, RunResult } from '../../../tools/bench/run.js';

export function fakeRunResult(options: RunOptions, capacity: number | ((durationS: number) => number)): RunResult {
  const capacityPerS = typeof capacity === 'number' ? capacity : capacity(options.durationS);
  const rate = options.load.kind === 'rate' ? options.load.ratePerS : 0;
  return {
    validators: options.validators,
    durationS: options.durationS,
    offeredPerS: rate,
    committedPerS: Math.min(rate, capacityPerS),
    latencyMs: { p50: 10, p95: 50, p99: rate <= capacityPerS ? 100 : 5000, max: 6000 },
    rssMbMax: 150,
    cpuSecondsPerValidator: Array.from({ length: options.validators }, () => options.durationS / 4),
    cpuBreakdown: {} as RunResult['cpuBreakdown'],
    detail: { load: `${rate} events/s open loop`, batch: 1, wan: options.wan, sent: rate * options.durationS, acknowledged: rate * options.durationS, failed: 0, failures: {}, rssMbPerValidator: [150], profiledBusySeconds: 1 },
  };
}
