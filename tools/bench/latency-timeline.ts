/**
 * Where a network's latency tail comes from, second by second (issue 12, docs/performance.md "The
 * tail at 100 events/s"): starts the same real testnet as `custodia bench` (tools/bench/cluster.ts),
 * drives it at a fixed open-loop rate (tools/bench/load.ts), then reads each validator's LevelDB
 * logs (tools/bench/leveldb-log.ts) and sets every committed transaction's latency beside the
 * memtable flushes and compactions of the validators' ledger stores. It prints each second of the
 * window (its p50, its slowest, how many of the window's slowest 1% were sent in it, and the
 * background work that ran in it), then what share of the slowest 1% overlapped a ledger store's
 * background work on any validator, against the share of all transactions that did.
 *
 *   npx tsx tools/bench/latency-timeline.ts [--rate 100] [--duration 60] [--warmup 5] [--validators 4] [--json]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchCluster } from './cluster.js';
import { overlapsWork, parseLevelDbLog, type BackgroundWork } from './leveldb-log.js';
import { openLoop, percentile } from './load.js';
import { presign } from './workload.js';

/** The stores of a validator's data folder (node/testnet.ts). */
const STORES = ['ledger', 'consensus'] as const;
type StoreName = (typeof STORES)[number];

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    validators: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const validatorCount = Number(values.validators);
for (const [name, value, min, max] of [['rate', rate, 1, 10_000], ['duration', durationS, 1, 600], ['warmup', warmupS, 0, 600], ['validators', validatorCount, 1, 31]] as const) {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} takes a whole number from ${min} to ${max}`);
}

const tenths = (value: number) => Math.round(value * 10) / 10;

async function backgroundWork(cluster: BenchCluster, store: StoreName): Promise<BackgroundWork[][]> {
  return Promise.all(
    Array.from({ length: cluster.size }, async (_, index) => {
      // A store that never opened has no log: no work. Any other failure to read it is an error, not an empty log.
      const text = await readFile(join(cluster.dataDirectory(index), store, 'LOG'), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      return parseLevelDbLog(text);
    }),
  );
}

const cluster = await BenchCluster.start({ validators: validatorCount, roundTimeoutBaseMs: 1000, requestsPerSecondPerAddress: 500_000 });
try {
  const workload = await presign(cluster.chainId, cluster.layout.participantKeyFiles, Math.ceil((warmupS + durationS) * rate * 1.02) + 1);
  const target = { apiUrls: cluster.layout.configFiles.map((_, index) => cluster.apiUrl(index)), bodies: workload.bodies, batch: 1, waitMs: 30_000 };
  const result = await openLoop(target, rate, warmupS, durationS);
  const work = { ledger: await backgroundWork(cluster, 'ledger'), consensus: await backgroundWork(cluster, 'consensus') };
  const ledgerWork = work.ledger.flat();

  const sent = result.latenciesMs.map((latencyMs, index) => ({ latencyMs, atMs: result.scheduledAtMs[index]! }));
  if (sent.length === 0) throw new Error('nothing committed in the window');
  const sorted = sent.map((entry) => entry.latencyMs).sort((left, right) => left - right);
  const slowFrom = percentile(sorted, 0.99);
  const slowest = sent.filter((entry) => entry.latencyMs >= slowFrom);
  const overlapping = (entries: typeof sent) => entries.filter((entry) => overlapsWork(entry.atMs, entry.atMs + entry.latencyMs, ledgerWork)).length / entries.length;
  const windowStartMs = sent.reduce((earliest, entry) => Math.min(earliest, entry.atMs), Infinity);
  // Each committed transaction's latency under the second of the window it was sent in.
  const bySecond = Array.from({ length: durationS }, (): number[] => []);
  for (const entry of sent) bySecond[Math.min(durationS - 1, Math.floor((entry.atMs - windowStartMs) / 1000))]!.push(entry.latencyMs);

  const seconds = bySecond.map((latencies, second) => {
    const fromMs = windowStartMs + second * 1000;
    const inSecond = latencies.sort((left, right) => left - right);
    const running = STORES.flatMap((store) =>
      work[store].flatMap((items, validator) => {
        const kinds = new Set(items.filter((item) => overlapsWork(fromMs, fromMs + 1000, [item])).map((item) => item.kind));
        return kinds.size === 0 ? [] : [`v${validator} ${store} ${[...kinds].join('+')}`];
      }),
    );
    return {
      second,
      p50Ms: inSecond.length === 0 ? null : percentile(inSecond, 0.5),
      maxMs: inSecond.at(-1) ?? null,
      slowest: inSecond.filter((latency) => latency >= slowFrom).length,
      backgroundWork: running,
    };
  });
  const summary = {
    rate,
    durationS,
    validators: validatorCount,
    latencyMs: { p50: tenths(percentile(sorted, 0.5)), p99: tenths(slowFrom), max: tenths(sorted.at(-1)!) },
    ledgerFlushes: work.ledger.map((items) => items.filter((item) => item.kind === 'flush' && item.startMs >= windowStartMs).length),
    ledgerCompactions: work.ledger.map((items) => items.filter((item) => item.kind === 'compaction' && item.startMs >= windowStartMs).length),
    /** Of the window's slowest 1%, the share in flight while a ledger store flushed or compacted on any validator. */
    slowestOverlappingLedgerWork: Math.round(overlapping(slowest) * 1000) / 1000,
    /** The same share of every committed transaction: what chance alone would give. */
    allOverlappingLedgerWork: Math.round(overlapping(sent) * 1000) / 1000,
  };
  if (values.json) process.stdout.write(`${JSON.stringify({ ...summary, seconds })}\n`);
  else {
    const round = (value: number | null) => (value === null ? '-' : value.toFixed(0));
    for (const row of seconds) process.stdout.write(`${String(row.second).padStart(3)}  p50 ${round(row.p50Ms).padStart(5)} ms  max ${round(row.maxMs).padStart(5)} ms  slowest ${String(row.slowest).padStart(3)}  ${row.backgroundWork.join(', ')}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
} finally {
  await cluster.stop();
}
