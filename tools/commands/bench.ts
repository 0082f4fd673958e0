/**
 * `custodia bench`: measures a local network of real validator processes (issue 12; the harness
 * is in tools/bench/). One run at a fixed rate (--rate), with C closed-loop clients (--clients), or
 * a search for the highest rate whose p99 stays under 1 s (--max). Prints a summary, or one JSON
 * object with --json. It stops every process it started, also on error and Ctrl-C.
 */
import { Command } from 'commander';
import { runBenchmark, type LoadShape, type RunResult } from '../bench/run.js';
import { CPU_CATEGORIES } from '../bench/profile.js';
import { MAX_SEARCH_P99_MS, measureMaximum, STANDARD_SEARCH } from '../bench/search.js';
import { fail } from '../exit-codes.js';
import { benchStorageCommand } from './bench-storage.js';
import { integerOption } from '../integer-option.js';

interface BenchOptions {
  validators: string;
  duration: string;
  warmup: string;
  rate?: string;
  max?: boolean;
  clients?: string;
  batch: string;
  wan?: boolean;
  /** commander's --no-profile sets it false. */
  profile?: boolean;
  json?: boolean;
}



export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark a local network of validator processes: committed events per second, latency, CPU, memory and a CPU profile breakdown')
    .option('--validators <n>', 'validators (1 for a single-node baseline)', '4')
    .option('--duration <seconds>', 'the measured window', '60')
    .option('--warmup <seconds>', 'load before the window, not measured', '5')
    .option('--rate <events>', 'open loop at this many events per second')
    .option('--max', `search for the highest rate whose p99 stays under ${MAX_SEARCH_P99_MS} ms`)
    .option('--clients <c>', 'closed loop with this many clients')
    .option('--batch <b>', 'transactions per request', '1')
    .option('--wan', 'delay every validator-to-validator link 25 ms one way, with 5 ms jitter')
    .option('--no-profile', 'take no CPU profiles (for long windows: the profiler holds its samples in memory)')
    .option('--json', 'print one JSON object')
    // `custodia bench storage`: the storage benchmark, one process, no network (bench-storage.ts).
    .addCommand(benchStorageCommand())
    .action(async (options: BenchOptions) => {
      const parsed = {
        validators: integerOption(options.validators, 'validators', 1, 31),
        duration: integerOption(options.duration, 'duration', 1, 3600),
        warmup: integerOption(options.warmup, 'warmup', 0, 600),
        batch: integerOption(options.batch, 'batch', 1, 1000),
      };
      for (const value of Object.values(parsed)) if (typeof value === 'string') return void (process.exitCode = fail(value));
      const shapes = [options.rate !== undefined, options.max === true, options.clients !== undefined].filter(Boolean).length;
      if (shapes !== 1) return void (process.exitCode = fail('give exactly one of --rate, --max and --clients'));
      const base = { validators: parsed.validators as number, durationS: parsed.duration as number, warmupS: parsed.warmup as number, batch: parsed.batch as number, wan: options.wan === true, profile: options.profile !== false };
      const log = options.json === true ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
      let result: RunResult;
      try {
        if (options.max === true) result = await measureMaximum(base, STANDARD_SEARCH, runBenchmark, log);
        else {
          const load: LoadShape | string =
            options.rate !== undefined
              ? ((rate) => (typeof rate === 'string' ? rate : { kind: 'rate', ratePerS: rate }))(integerOption(options.rate, 'rate', 1, 100_000))
              : ((clients) => (typeof clients === 'string' ? clients : { kind: 'clients', clients }))(integerOption(options.clients, 'clients', 1, 10_000));
          if (typeof load === 'string') return void (process.exitCode = fail(load));
          result = await runBenchmark({ ...base, load, log });
        }
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(result)}\n` : summary(result));
    });
}

function summary(result: RunResult): string {
  const lines = [
    `${result.validators} validators, ${result.detail.load}, batch ${result.detail.batch}${result.detail.wan ? ', WAN' : ''}, ${result.durationS} s measured`,
    `  committed   ${result.committedPerS} events/s${result.offeredPerS === null ? '' : ` of ${result.offeredPerS} offered`} (${result.detail.acknowledged} acknowledged, ${result.detail.failed} failed${result.detail.failed > 0 ? `: ${JSON.stringify(result.detail.failures)}` : ''})`,
    `  latency     p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    `  CPU         ${result.cpuSecondsPerValidator.map((seconds) => `${seconds} s`).join(', ')} per validator (${(result.cpuSecondsPerValidator.reduce((sum, seconds) => sum + seconds, 0) / result.durationS).toFixed(2)} cores in all)`,
    `  blocks      ${result.detail.blocksPerS ?? '?'} a second, ${result.detail.transactionsPerBlock ?? '?'} events a block, ${result.detail.cpuMsPerBlock ?? '?'} ms of a validator's CPU a block`,
    `  memory      peak RSS ${result.detail.rssMbPerValidator.map((mb) => `${mb} MB`).join(', ')}${result.detail.allocator === undefined ? '' : ` (malloc: ${result.detail.allocator})`}`,
    ...(result.detail.search === undefined
      ? []
      : [
          `  search      ${result.detail.search.trials.map((trial) => `${trial.ratePerS}/s ${trial.passed ? 'passed' : `failed (${trial.shortfalls.join('; ')})`}`).join(', ')}; ${result.detail.search.trialS}-s trials`,
          `  full window ${(result.detail.search.confirmations ?? []).map((run) => `${run.ratePerS}/s ${run.passed ? 'held' : `did not hold (${run.shortfalls.join('; ')})`}`).join(', ')}${result.detail.search.held === false ? `; no rate held p99 under ${MAX_SEARCH_P99_MS} ms for the whole window` : ''}`,
        ]),
    result.detail.profiledBusySeconds > 0
      ? `  CPU profile (${result.detail.profiledBusySeconds} busy seconds): ${CPU_CATEGORIES.filter((category) => result.cpuBreakdown[category] > 0).map((category) => `${category} ${result.cpuBreakdown[category]}%`).join(', ')}`
      : '  CPU profile none taken (--no-profile)',
  ];
  return `${lines.join('\n')}\n`;
}
