/**
 * The storage benchmark's last measure (issue 12: "peak RSS per validator at most 300 MB" at a
 * million events): a real validator process (`custodia start`, validator 0 of the benchmark's
 * testnet) started on the ledger the benchmark loaded, asked for lot histories and transaction
 * proofs over HTTP as an auditor, with its resident memory read from /proc while it opens the
 * store and serves them. Alone it is not a quorum, so it orders nothing: what grows with the
 * ledger is what it loads on opening and keeps while it serves.
 */
import type { TestnetLayout } from '../../node/testnet.js';
import { BenchCluster } from './cluster.js';

export interface ServingMeasure {
  /**
   * From the validator's spawn to its first /healthz answer, s: a restart's time on this ledger,
   * most of it the store's open and tail check (the metrics server listens once they are done).
   */
  readyS: number;
  /** The validator's resident memory once it answers /healthz (the store opened and checked), MB. */
  rssMbReady: number;
  /** Its peak resident memory from its start to the last answer (the kernel's high-water mark), MB. */
  rssMbMax: number;
  /** After the last answer: its private memory (heap, LevelDB's caches) and its pages of mapped files (the node binary, the LevelDB tables it reads through mmap), MB. */
  rssAnonMbEnd: number;
  rssFileMbEnd: number;
  /** Over HTTP, from request to the whole answer read, ms. */
  historyHttpMs: number[];
  proofHttpMs: number[];
}

export async function measureServingValidator(options: {
  directory: string;
  layout: TestnetLayout;
  basePort: number;
  chainId: string;
  lots: readonly string[];
  proofIds: readonly string[];
}): Promise<ServingMeasure> {
  const spawned = performance.now();
  const cluster = await BenchCluster.startWritten({ directory: options.directory, layout: options.layout, basePort: options.basePort, chainId: options.chainId, count: 1 });
  const readyS = (performance.now() - spawned) / 1000;
  try {
    await cluster.sampleMemory();
    const rssMbReady = cluster.rssMbLatest()[0] ?? 0;
    const headers = { authorization: `Bearer ${options.layout.auditorReadToken}` };
    const timedGet = async (path: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${cluster.apiUrl(0)}${path}`, { headers });
      const body = await response.text();
      if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`);
      return performance.now() - started;
    };
    const historyHttpMs: number[] = [];
    for (const lot of options.lots) historyHttpMs.push(await timedGet(`/v1/items/${encodeURIComponent(lot)}/history`));
    const proofHttpMs: number[] = [];
    for (const id of options.proofIds) proofHttpMs.push(await timedGet(`/v1/proofs/transactions/${id}`));
    const memory = (await cluster.memoryStatus())[0]!;
    return { readyS, rssMbReady, rssMbMax: memory.rssMbHighWater, rssAnonMbEnd: memory.rssAnonMb, rssFileMbEnd: memory.rssFileMb, historyHttpMs, proofHttpMs };
  } finally {
    await cluster.stop();
  }
}
