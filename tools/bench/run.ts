/**
 * One benchmark run (issue 12, `custodia bench`): a fresh testnet in a temporary folder, real
 * validator processes, a pre-signed workload, a warm-up, then a measured window of open- or
 * closed-loop load; measured over the window only: committed events per second (from the
 * validators' own counters), submission-to-commit latency, CPU seconds and peak memory per
 * validator, and a CPU profile breakdown per validator.
 *
 * Overload (docs/performance.md, "Overload"): an open loop above capacity (`--rate` at 3× what
 * `--max` found) is answered in part with 503 `overloaded` (node/admission-control.ts); the
 * result then tells the share of transactions refused for load, the latency of those admitted
 * (the latency figures only ever count committed transactions) and each validator's resident
 * memory at the start and the end of the window, to show it stays flat.
 */
import { BenchCluster, type ClusterOptions } from './cluster.js';
import { closedLoop, openLoop, percentile, type LoadResult } from './load.js';
import { breakdownOfFile, combine, type CpuBreakdown } from './profile.js';
import { presign } from './workload.js';
import { validatorAllocator, validatorEnvironment } from '../validator-process.js';

export type LoadShape = { kind: 'rate'; ratePerS: number } | { kind: 'clients'; clients: number };

export interface RunOptions {
  validators: number;
  durationS: number;
  warmupS: number;
  load: LoadShape;
  batch: number;
  wan: boolean;
  /**
   * Whether to take every validator's CPU profile over the window (the default). V8's profiler
   * holds every sample and code event until it stops, so a long window's memory figures are the
   * profiler's as much as the validator's: `--no-profile` for those (cpuBreakdown and profiledBusySeconds are then zeros).
   */
  profile?: boolean;
  /** Testnet settings (timings, block limits); the bench's defaults otherwise. */
  testnet?: Partial<ClusterOptions>;
  log?: (line: string) => void;
}

/** One rate a `--max` search ran, short trial or full window: whether it passed and what it missed. */
export interface SearchRunRecord {
  ratePerS: number;
  passed: boolean;
  shortfalls: string[];
  committedPerS: number;
  latencyMs: RunResult['latencyMs'];
}

/** What a `--max` result carries of its search (search.ts): every rate tried, and whether the result held for its whole window. */
export interface SearchRecord {
  bestRatePerS: number;
  /** Whether the result's own run passed the trials' rules over the whole window. */
  held: boolean;
  trialS: number;
  trials: SearchRunRecord[];
  /** The full-window runs, from the best trial's rate down. */
  confirmations: SearchRunRecord[];
}

export interface RunResult {
  validators: number;
  durationS: number;
  offeredPerS: number | null;
  committedPerS: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  rssMbMax: number;
  cpuSecondsPerValidator: number[];
  cpuBreakdown: CpuBreakdown['percent'];
  /** Beyond the fields: what was sent and refused, and the per-validator peaks. */
  detail: {
    load: string;
    batch: number;
    wan: boolean;
    sent: number;
    acknowledged: number;
    failed: number;
    failures: Record<string, number>;
    /** (Absent from results recorded before it was.) The malloc the validators ran with (tools/validator-process.ts): jemalloc where the system has it. */
    allocator?: 'jemalloc' | 'glibc';
    /** (Absent from results recorded before overload control.) Of the transactions sent in the window, the share answered 503 (refused for load: overloaded, mempool-full), 0 to 1. */
    refusedForLoadShare?: number;
    rssMbPerValidator: number[];
    /** Resident memory of each validator when the window starts and when it ends, MB. */
    rssMbWindowStart?: number[];
    rssMbWindowEnd?: number[];
    /** The largest validator's resident memory every RSS_SERIES_INTERVAL_S from the window's start, MB: flat, or growing. */
    rssMbSeries?: number[];
    profiledBusySeconds: number;
    /** (Absent from results recorded before they were measured.) Blocks the network committed per second over the window. */
    blocksPerS?: number;
    /** Accepted transactions per committed block over the window. */
    transactionsPerBlock?: number;
    /** A validator's CPU per committed block over the window (the mean of the validators), ms: at light load, most of it is per block rather than per transaction. */
    cpuMsPerBlock?: number;
    /** `--max` only: the search that chose this run's rate (search.ts). */
    search?: SearchRecord;
  };
}

const COMMITTED_METRIC = 'custodia_transactions_committed_total{result="accepted"}';
/** Workload for a closed loop, per client and second: generous, since a client's rate is not known ahead. */
const CLOSED_LOOP_POOL_PER_CLIENT_SECOND = 40;
const POOL_MAX = 400_000;
/** How often the resident memory series of the window is sampled, s. */
const RSS_SERIES_INTERVAL_S = 5;

const BLOCKS_METRIC = 'custodia_blocks_committed_total';

/**
 * Transactions and blocks the network has committed: the most any validator has executed (one that
 * lags would undercount).
 */
async function committedCount(cluster: BenchCluster): Promise<{ transactions: number; blocks: number }> {
  const counts = await Promise.all(
    Array.from({ length: cluster.size }, async (_, index) => {
      const lines = (await (await fetch(`${cluster.metricsUrl(index)}/metrics`)).text()).split('\n');
      const value = (metric: string) => {
        const line = lines.find((entry) => entry.startsWith(`${metric} `));
        return line === undefined ? 0 : Number(line.split(' ')[1]);
      };
      return { transactions: value(COMMITTED_METRIC), blocks: value(BLOCKS_METRIC) };
    }),
  );
  return { transactions: Math.max(...counts.map((count) => count.transactions)), blocks: Math.max(...counts.map((count) => count.blocks)) };
}

export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => undefined);
  const seconds = options.warmupS + options.durationS;
  const poolSize = Math.min(
    POOL_MAX,
    options.load.kind === 'rate' ? Math.ceil(seconds * options.load.ratePerS * 1.02) + options.batch : options.load.clients * seconds * CLOSED_LOOP_POOL_PER_CLIENT_SECOND,
  );
  const profiling = options.profile !== false;
  log(`starting ${options.validators} validators${options.wan ? ' (links delayed 25 ms ± 5 ms)' : ''}`);
  const cluster = await BenchCluster.start({
    validators: options.validators,
    roundTimeoutBaseMs: 1000,
    requestsPerSecondPerAddress: 500_000,
    ...(options.wan ? { simulatedLatency: { delayMs: 25, jitterMs: 5 } } : {}),
    ...options.testnet,
  });
  try {
    log(`signing ${poolSize} transactions`);
    const workload = await presign(cluster.chainId, cluster.layout.participantKeyFiles, poolSize);
    const target = { apiUrls: cluster.layout.configFiles.map((_, index) => cluster.apiUrl(index)), bodies: workload.bodies, batch: options.batch, waitMs: 30_000 };
    let windowStart: { committed: { transactions: number; blocks: number }; cpu: number[]; rssMb: number[] } | undefined;
    let windowEnd: typeof windowStart;
    const marks = [
      setTimeout(() => {
        void (async () => {
          const rssMb = cluster.rssMbLatest();
          cluster.resetMemoryPeaks();
          if (profiling) cluster.toggleProfiles();
          windowStart = { committed: await committedCount(cluster), cpu: await cluster.cpuSeconds(), rssMb };
        })();
      }, options.warmupS * 1000),
      setTimeout(() => {
        void (async () => {
          const rssMb = cluster.rssMbLatest();
          windowEnd = { committed: await committedCount(cluster), cpu: await cluster.cpuSeconds(), rssMb };
          if (profiling) cluster.toggleProfiles();
        })();
      }, seconds * 1000),
    ];
    const rssSeries: number[] = [];
    const rssSampler = setTimeout(() => {
      rssSeries.push(Math.max(...cluster.rssMbLatest()));
      const every = setInterval(() => rssSeries.push(Math.max(...cluster.rssMbLatest())), RSS_SERIES_INTERVAL_S * 1000);
      marks.push(every);
      marks.push(setTimeout(() => clearInterval(every), options.durationS * 1000 + 100));
    }, options.warmupS * 1000);
    marks.push(rssSampler);
    const label = options.load.kind === 'rate' ? `${options.load.ratePerS} events/s open loop` : `${options.load.clients} closed-loop clients`;
    log(`load: ${label}, batch ${options.batch}, ${options.warmupS} s warm-up, ${options.durationS} s measured`);
    let result: LoadResult;
    try {
      result = options.load.kind === 'rate' ? await openLoop(target, options.load.ratePerS, options.warmupS, options.durationS) : await closedLoop(target, options.load.clients, options.warmupS, options.durationS);
    } catch (error) {
      for (const mark of marks) clearTimeout(mark);
      throw error;
    }
    // The load may finish before the window's end mark fires (a light load answers at once) or
    // after it (the last answers come late): wait for the marks either way.
    for (let attempt = 0; attempt < 200 && windowEnd === undefined; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const mark of marks) clearTimeout(mark);
    if (windowStart === undefined || windowEnd === undefined) throw new Error('the measured window was not sampled');
    // Profiles are written a moment after the second signal.
    let profiles: string[][] = [];
    for (let attempt = 0; profiling && attempt < 100; attempt++) {
      profiles = await cluster.profiles();
      if (profiles.every((files) => files.length > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const breakdowns = await Promise.all(profiles.filter((files) => files.length > 0).map((files) => breakdownOfFile(files[files.length - 1]!)));
    const combined = combine(breakdowns);
    const latencies = [...result.latenciesMs].sort((left, right) => left - right);
    const round = (value: number) => Math.round(value * 10) / 10;
    const rss = cluster.rssMbMax();
    const blocks = windowEnd.committed.blocks - windowStart.committed.blocks;
    const cpuSeconds = windowEnd.cpu.map((cpu, index) => round(cpu - windowStart!.cpu[index]!));
    const refusedForLoad = Object.entries(result.failures).reduce((sum, [reason, count]) => sum + (reason.startsWith('503') ? count : 0), 0);
    return {
      validators: options.validators,
      durationS: options.durationS,
      offeredPerS: options.load.kind === 'rate' ? options.load.ratePerS : null,
      committedPerS: round((windowEnd.committed.transactions - windowStart.committed.transactions) / options.durationS),
      latencyMs: { p50: round(percentile(latencies, 0.5)), p95: round(percentile(latencies, 0.95)), p99: round(percentile(latencies, 0.99)), max: round(latencies[latencies.length - 1] ?? 0) },
      rssMbMax: Math.max(...rss),
      cpuSecondsPerValidator: cpuSeconds,
      cpuBreakdown: combined.percent,
      detail: {
        load: label,
        batch: options.batch,
        wan: options.wan,
        allocator: validatorAllocator(validatorEnvironment()),
        sent: result.sent,
        acknowledged: result.committed,
        failed: result.failed,
        failures: result.failures,
        refusedForLoadShare: result.sent === 0 ? 0 : Math.round((refusedForLoad / result.sent) * 1000) / 1000,
        rssMbPerValidator: rss,
        rssMbWindowStart: windowStart.rssMb,
        rssMbWindowEnd: windowEnd.rssMb,
        rssMbSeries: rssSeries,
        profiledBusySeconds: combined.busySeconds,
        blocksPerS: round(blocks / options.durationS),
        transactionsPerBlock: blocks === 0 ? 0 : round((windowEnd.committed.transactions - windowStart.committed.transactions) / blocks),
        cpuMsPerBlock: blocks === 0 ? 0 : round((1000 * cpuSeconds.reduce((sum, cpu) => sum + cpu, 0)) / cpuSeconds.length / blocks),
      },
    };
  } finally {
    await cluster.stop();
  }
}
