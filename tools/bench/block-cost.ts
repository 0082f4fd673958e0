/**
 * The per-block cost of a validator network (issue 12, docs/performance.md "Levers"): starts the
 * same real testnet as `custodia bench` (tools/bench/cluster.ts), drives it at a fixed open-loop
 * rate (tools/bench/load.ts), and reads every validator's /metrics at the start and the end of the
 * measured window. It prints blocks committed per second, transactions per block, CPU per block
 * per validator, the synced consensus writes, and where a transaction's time goes between its
 * admission and its commit answer (custodia_commit_stage_seconds, node/metrics.ts), beside the
 * client's own submission-to-answer latency.
 *
 * With --profile it also takes every validator's CPU profile over the window (as `custodia bench`
 * does) and prints validator 0's: the project's functions by inclusive time, native frames by
 * their nearest callers, and functions by self time. V8 samples on wall-clock time: on a box with
 * more runnable processes than cores, confirm what it shows with CPU seconds.
 *
 * With --allocations every validator also samples its allocations over the window (`custodia
 * start --profile-allocations`, collected objects included), and it prints validator 0's in KB
 * per block it committed: the functions that allocate most, by self and inclusive.
 *
 *   npx tsx tools/bench/block-cost.ts [--rate 100] [--duration 20] [--warmup 5] [--validators 4] [--batch 1] [--profile [--profile-out FILE]] [--allocations [--allocations-out FILE]] [--json]
 */
import { copyFile, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BenchCluster } from './cluster.js';
import { openLoop, percentile } from './load.js';
import { allocationTop, formatAllocationTop, type AllocationProfile } from './allocations.js';
import { sourcePath, type CpuProfile } from './profile.js';
import { presign } from './workload.js';

type ProfileNodeOf<P extends CpuProfile> = P['nodes'][number];

type Sample = Map<string, number>;

/** Every sample line of a Prometheus text exposition, by its name and labels. */
function parseMetrics(text: string): Sample {
  const sample: Sample = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    sample.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return sample;
}

async function scrape(cluster: BenchCluster): Promise<Sample[]> {
  return Promise.all(Array.from({ length: cluster.size }, async (_, index) => parseMetrics(await (await fetch(`${cluster.metricsUrl(index)}/metrics`)).text())));
}

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    validators: { type: 'string', default: '4' },
    /** Transactions per request (`custodia bench --batch`). */
    batch: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    /** Also profile every validator over the window and print validator 0's heaviest functions by self time. */
    profile: { type: 'boolean', default: false },
    /** With --profile, also copy validator 0's profile to this file (for DevTools or a script). */
    'profile-out': { type: 'string' },
    /** Sample every validator's allocations over the window and print validator 0's, in KB per block it committed. */
    allocations: { type: 'boolean', default: false },
    /** With --allocations, also copy validator 0's allocation profile to this file. */
    'allocations-out': { type: 'string' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const validatorCount = Number(values.validators);
const batch = Number(values.batch);
for (const [name, value, min, max] of [['rate', rate, 1, 10_000], ['batch', batch, 1, 1_000], ['duration', durationS, 1, 600], ['warmup', warmupS, 0, 600], ['validators', validatorCount, 1, 31]] as const) {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} takes a whole number from ${min} to ${max}`);
}

const profiling = values.profile === true || values.allocations === true;
const cluster = await BenchCluster.start({ validators: validatorCount, roundTimeoutBaseMs: 1000, requestsPerSecondPerAddress: 500_000 }, { allocations: values.allocations });
try {
  const workload = await presign(cluster.chainId, cluster.layout.participantKeyFiles, Math.ceil((warmupS + durationS) * rate * 1.02) + 1);
  const target = { apiUrls: cluster.layout.configFiles.map((_, index) => cluster.apiUrl(index)), bodies: workload.bodies, batch, waitMs: 30_000 };
  let start: { metrics: Sample[]; cpu: number[] } | undefined;
  let end: { metrics: Sample[]; cpu: number[] } | undefined;
  const marks = [
    setTimeout(() => {
      if (profiling) cluster.toggleProfiles();
      void Promise.all([scrape(cluster), cluster.cpuSeconds()]).then(([metrics, cpu]) => (start = { metrics, cpu }));
    }, warmupS * 1000),
    setTimeout(() => {
      if (profiling) cluster.toggleProfiles();
      void Promise.all([scrape(cluster), cluster.cpuSeconds()]).then(([metrics, cpu]) => (end = { metrics, cpu }));
    }, (warmupS + durationS) * 1000),
  ];
  const result = await openLoop(target, rate, warmupS, durationS);
  for (let attempt = 0; attempt < 200 && end === undefined; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const mark of marks) clearTimeout(mark);
  if (start === undefined || end === undefined) throw new Error('the window was not sampled');
  const delta = (name: string, index: number) => (end!.metrics[index]!.get(name) ?? 0) - (start!.metrics[index]!.get(name) ?? 0);
  /** A histogram's mean over the window, ms; `labels` as Prometheus prints them (`{stage="..."}`). */
  const mean = (name: string, index: number, labels = '') => {
    const count = delta(`${name}_count${labels}`, index);
    return count === 0 ? null : (delta(`${name}_sum${labels}`, index) / count) * 1000;
  };
  const round = (value: number | null, digits = 1) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);
  const stages = ['admitted-to-proposed', 'proposed-to-committed', 'committed-to-executed', 'admitted-to-executed'];
  const validators = Array.from({ length: cluster.size }, (_, index) => {
    const blocks = delta('custodia_blocks_committed_total', index);
    const cpu = end!.cpu[index]! - start!.cpu[index]!;
    return {
      blocksPerS: round(blocks / durationS, 2),
      transactionsPerBlock: round(blocks === 0 ? null : delta('custodia_transactions_committed_total{result="accepted"}', index) / blocks, 2),
      cpuS: round(cpu, 2),
      cpuMsPerBlock: round(blocks === 0 ? null : (cpu * 1000) / blocks, 2),
      roundsPerS: round(((end!.metrics[index]!.get('custodia_consensus_round') ?? 0) - (start!.metrics[index]!.get('custodia_consensus_round') ?? 0)) / durationS, 2),
      votesPerS: round(delta('custodia_votes_sent_total', index) / durationS, 2),
      timeouts: delta('custodia_timeouts_sent_total', index),
      heldForBodies: delta('custodia_proposals_held_total{verdict="missing-transactions"}', index),
      heldForLedger: delta('custodia_proposals_held_total{verdict="not-ready"}', index),
      bodiesWanted: delta('custodia_transaction_bodies_wanted_total', index),
      persistsPerS: round(delta('custodia_consensus_fsync_seconds_count', index) / durationS, 2),
      persistMeanMs: round(mean('custodia_consensus_fsync_seconds', index), 2),
      executionMeanMs: round(mean('custodia_block_execution_seconds', index), 2),
      /** The background store scrub: heights it re-verified a second, and its wall time per height (custodia_scrub_step_seconds). */
      scrubHeightsPerS: round(delta('custodia_scrub_step_seconds_count', index) / durationS, 2),
      scrubStepMeanMs: round(mean('custodia_scrub_step_seconds', index), 2),
      scrubHeightAtEnd: end!.metrics[index]!.get('custodia_scrub_height') ?? null,
      scrubPassesAtEnd: end!.metrics[index]!.get('custodia_scrub_passes_total') ?? null,
      headAtEnd: end!.metrics[index]!.get('custodia_ledger_height') ?? null,
      /** The event loop's delay over the window (prom-client resets its histogram at each scrape), ms. */
      eventLoopLagP99Ms: round((end!.metrics[index]!.get('custodia_process_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000, 1),
      eventLoopLagMaxMs: round((end!.metrics[index]!.get('custodia_process_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000, 1),
      stagesMeanMs: Object.fromEntries(stages.map((stage) => [stage, round(mean('custodia_commit_stage_seconds', index, `{stage="${stage}"}`))])),
    };
  });
  const latencies = [...result.latenciesMs].sort((left, right) => left - right);
  const report = {
    rate,
    durationS,
    committed: result.committed,
    failed: result.failed,
    clientLatencyMs: { p50: round(percentile(latencies, 0.5)), p95: round(percentile(latencies, 0.95)), p99: round(percentile(latencies, 0.99)) },
    validators,
  };
  /** Validator 0's profile of the window, once it has written it (it writes on the second signal). */
  const firstProfile = async (kind: 'cpu' | 'allocations') => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const file = (await cluster.profiles(kind))[0]?.[0];
      if (file !== undefined) return file;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  };
  if (values.allocations) {
    const file = await firstProfile('allocations');
    if (file === undefined) throw new Error('validator 0 wrote no allocation profile');
    if (values['allocations-out'] !== undefined) await copyFile(file, values['allocations-out']);
    const blocks = delta('custodia_blocks_committed_total', 0);
    process.stderr.write(formatAllocationTop(allocationTop(JSON.parse(await readFile(file, 'utf8')) as AllocationProfile, 30), blocks, 'block'));
  }
  if (values.profile) {
    const file = await firstProfile('cpu');
    if (file !== undefined && values['profile-out'] !== undefined) await copyFile(file, values['profile-out']);
    if (file !== undefined) process.stderr.write(selfTimeTop(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, 40));
  }
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await cluster.stop();
}

/** The functions with the most self time in a profile, with their inclusive time, one line each. */
function selfTimeTop(profile: CpuProfile, count: number): string {
  const self = new Map<number, number>();
  for (const [index, sample] of profile.samples.entries()) self.set(sample, (self.get(sample) ?? 0) + (profile.timeDeltas[index] ?? 0));
  const byKey = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    if (node.callFrame.functionName === '(idle)') continue;
    total += time;
    const key = `${node.callFrame.functionName || '(anonymous)'} ${sourcePath(node.callFrame.url)}:${node.callFrame.lineNumber ?? ''}`;
    byKey.set(key, (byKey.get(key) ?? 0) + time);
  }
  const lines = [...byKey].sort((left, right) => right[1] - left[1]).slice(0, count);
  // Native frames have no script: say who called them, two frames up.
  const parent = new Map<number, ProfileNodeOf<CpuProfile>>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const name = (node: ProfileNodeOf<CpuProfile> | undefined) => (node === undefined ? '-' : `${node.callFrame.functionName || '(anonymous)'} ${sourcePath(node.callFrame.url).replace(/\?.*$/, '')}`);
  const callers = new Map<string, number>();
  for (const node of profile.nodes) {
    if (node.callFrame.url !== '' || node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(garbage collector)' || node.callFrame.functionName === '(program)') continue;
    // The nearest three callers in the project's own code (not node_modules, not node:).
    const chain: string[] = [];
    for (let up = parent.get(node.id); up !== undefined && chain.length < 3; up = parent.get(up.id)) {
      if (/^(ledger|node|consensus|contracts|api)\//.test(name(up).split(' ')[1] ?? '')) chain.push(name(up));
    }
    const key = `${name(node)} <- ${chain.join(' <- ')}`;
    callers.set(key, (callers.get(key) ?? 0) + (self.get(node.id) ?? 0));
  }
  const nativeLines = [...callers].sort((left, right) => right[1] - left[1]).slice(0, 40);
  // Inclusive time of the project's own functions: each sample counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const [index, sample] of profile.samples.entries()) {
    const seen = new Set<string>();
    for (let node: ProfileNodeOf<CpuProfile> | undefined = byId.get(sample); node !== undefined; node = parent.get(node.id)) {
      const key = name(node);
      if (!/^(ledger|node|consensus|contracts|api)\//.test(key.split(' ')[1] ?? '') || seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
    }
  }
  const inclusiveLines = [...inclusive].sort((left, right) => right[1] - left[1]).slice(0, 60);
  return `inclusive:\n${inclusiveLines.map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}% ${key}`).join('\n')}\nnative frames by caller:\n${nativeLines.map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}% ${key}`).join('\n')}\nbusy ${(total / 1e6).toFixed(2)} s\n${lines.map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}% ${(time / 1000).toFixed(0).padStart(6)} ms  ${key}`).join('\n')}\n`;
}
