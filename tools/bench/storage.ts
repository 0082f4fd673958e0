/**
 * `custodia bench storage` (issue 12, "A storage benchmark"): commits N EPCIS events through the
 * path a validator commits them by, then measures what auditors and operators wait for on a
 * ledger of that size.
 *
 * Loading: a fresh testnet (its genesis, participants and validator keys) in a folder; each block
 * of supply-chain stories (storage-workload.ts) is signed by the participants, executed by the
 * contracts (contracts/executor.ts executeBlock, reading state from the store as a validator
 * does), certified by a quorum of the testnet's validator keys, and appended with
 * BlockStore.appendBlock: hashes, roots, indices and Merkle log all as a node writes them. No row
 * is written any other way. Every transaction must be accepted: a rejection is a bug in the
 * workload and stops the run.
 *
 * Measuring, after reopening the store as a restarted validator would (tail check included), on
 * a thread of its own (storage-queries.ts) so that the loading's heap is not collected while it
 * times the queries:
 * - lot history: GET /v1/items/:epc/history's answer for an auditor, computed as the route
 *   computes it (api/http/item-routes.ts itemHistory, without HTTP): the item's events by the
 *   auditor index, its custody record, each event's block time and signers and its event record,
 *   its rule-driven changes, the parties' records;
 * - trace: contracts/queries.ts trace over the store's state, as GET /v1/items/:epc/trace;
 * - inclusion proof: GET /v1/proofs/transactions/:id's document as the route builds it
 *   (api/http/proof-routes.ts transactionProof): the transaction, the head block and certificate,
 *   the RFC 9162 inclusion proof against the head's logSize, the epoch changes; a sample of the proofs is then checked as an auditor would
 *   (ledger/verify/proof.ts), untimed;
 * - state proof: GET /v1/proofs/state/:key's document (ledger/store/state-proof-document.ts) for a
 *   lot's custody record, at the height the head's header states; a sample checked as an auditor
 *   would (ledger/verify/state-proof.ts), untimed;
 * - a validator serving it: validator 0 started on the ledger (`custodia start`) and asked over
 *   HTTP for lot histories and transaction proofs as an auditor; its peak RSS is the one issue 12
 *   bounds per validator (storage-serve.ts);
 * - verify: what `custodia verify --data` runs (openStoreForReading, verifyLedger) over the whole
 *   store, in events per second;
 * - peak RSS of this process over the whole run (VmHWM, sampled RSS where /proc is absent).
 *   It loads, queries and verifies in-process, so it holds more than a validator would.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeBlock } from '../../contracts/executor.js';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { blockHash, transactionRoot, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, type QuorumCertificate } from '../../ledger/model/certificate.js';
import type { Genesis } from '../../ledger/model/genesis.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { BlockStore, openStoreForReading } from '../../ledger/store/block-store.js';
import { verifyLedger } from '../../ledger/verify/verify-ledger.js';
import { BYTES_PER_MIB, WRITE_BUFFER_BYTES_DEFAULT } from '../../ledger/store/write-buffer.js';
import { freeBasePort } from '../../node/ports.js';
import { DEMO_PARTICIPANTS, writeTestnet, type TestnetLayout } from '../../node/testnet.js';
import { Prng } from '../sim/prng.js';
import { percentile } from './load.js';
import { measureQueriesOnThread } from './storage-queries.js';
import { measureServingValidator, type ServingMeasure } from './storage-serve.js';
import { validatorAllocator, validatorEnvironment } from '../validator-process.js';
import { productLot, rawLot, STORY_STEPS, storyBlock, storyBlockCount, storySigners, storyTransaction } from './storage-workload.js';

/** The issue's targets for a ledger of 1,000,000 events, reported beside the figures. */
export const STORAGE_TARGETS = { rssMbMax: 300, lotHistoryP99Ms: 20, inclusionProofP99Ms: 5, verifyEventsPerS: 20_000 } as const;

export const STORAGE_BENCH_LIMITS = {
  eventsMax: 10_000_000,
  blockTransactionsMax: 2000,
  samplesMax: 100_000,
  /** Transaction ids kept for the proof samples (a reservoir over the whole load). */
  proofIdsKept: 4096,
  /** Proofs checked offline after timing, of those measured. */
  proofsChecked: 200,
  /** Queries of each kind run untimed before the timed ones (storage-queries.ts). */
  queriesWarmup: 200,
} as const;

const CHAIN_ID = 'custodia-bench-storage';
/** The root of the benchmark's random streams: `Prng.fromSeed(seed, SEED_LABEL)`. */
const SEED_LABEL = 'bench-storage';
const VALIDATORS = 4;
const RSS_SAMPLE_MS = 250;

export interface StorageBenchOptions {
  /** Events to commit; rounded up to whole stories of STORY_STEPS events. */
  events: number;
  /** Transactions per block, about (a block holds one step of STORY_STEPS story groups). */
  blockTransactions?: number;
  /** Queries of each kind timed. */
  samples?: number;
  /** Where the testnet and its ledger go (and stay); a temporary folder, removed at the end, when absent. */
  directory?: string;
  /** The ledger's LevelDB write buffer, MiB (a validator's `store.writeBufferMb`; ledger/store/write-buffer.ts). */
  writeBufferMb?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface LatencyMs {
  p50: number;
  p99: number;
  max: number;
}

export interface StorageBenchResult {
  events: number;
  transactions: number;
  blocks: number;
  /** Events committed per second by the loader: signing, execution and append, over the whole load. */
  committedPerS: number;
  lotHistoryMs: LatencyMs;
  traceMs: LatencyMs;
  inclusionProofMs: LatencyMs;
  /** GET /v1/proofs/state/:key for a lot's custody record: the store's part (the state tree path, the value, the checkpoint). */
  stateProofMs: LatencyMs;
  /** `custodia verify --data` over the whole store. */
  verifyEventsPerS: number;
  /** Peak RSS of this benchmark process (it loads, queries and verifies in-process), MB. */
  rssMbMax: number;
  /** Peak RSS of a validator process started on the loaded ledger and serving histories and proofs over HTTP (storage-serve.ts), MB. */
  validatorRssMbMax: number;
  detail: {
    stories: number;
    blockTransactions: number;
    samples: number;
    /** Queries of each kind run untimed before the timed samples (absent from results recorded before there were any). */
    warmupQueries?: number;
    loadSeconds: number;
    /** Of the load: the clients' signing, the contracts' execution, the store's append (wall time). */
    signSeconds: number;
    executeSeconds: number;
    appendSeconds: number;
    /** Events per second of execution and append alone: what a validator spends on committing. */
    executeAndAppendPerS: number;
    /** The process's CPU over the load (every thread: LevelDB's compaction and the collector's included), and per event, µs. */
    loadCpuSeconds: number;
    loadCpuUsPerEvent: number;
    writeBufferMb: number;
    verifySeconds: number;
    storeMb: number;
    head: { height: number; logSize: number; logRoot: string; stateRoot: string };
    /** Each item's history as measured: events of a raw lot and of a product lot. */
    historyEvents: { rawLot: number; productLot: number };
    proofsChecked: number;
    /** The largest RSS sampled in each phase (setup, load, queries, verify), MB. */
    rssMbByPhase: Record<string, number>;
    /** The validator started on the ledger (storage-serve.ts): its memory once it had opened the store, its answers over HTTP, and the malloc it ran with (absent from results recorded before it was). */
    serving: { readyS: number; rssMbReady: number; rssAnonMbEnd: number; rssFileMbEnd: number; historyHttpMs: LatencyMs; proofHttpMs: LatencyMs; allocator?: 'jemalloc' | 'glibc' };
    /** Where the data is, when it was kept (--dir). */
    directory?: string;
    targets: typeof STORAGE_TARGETS;
    met: { rssMbMax: boolean; validatorRssMbMax: boolean; lotHistoryP99Ms: boolean; inclusionProofP99Ms: boolean; verifyEventsPerS: boolean };
  };
}

interface Testnet {
  directory: string;
  layout: TestnetLayout;
  basePort: number;
  genesis: Genesis;
  validators: ValidatorSet;
  validatorKeys: Array<{ id: string; seed: Uint8Array }>;
  participantKeys: Record<string, { publicKey: Uint8Array; seed: Uint8Array }>;
  ledgerDirectory: string;
  /** The ledger's LevelDB write buffer, bytes, for every time the benchmark opens the store. */
  writeBufferBytes: number;
}

/** Peak resident set of this process: the kernel's high-water mark, or the largest sample where there is none. */
class PeakMemory {
  #sampled = process.memoryUsage.rss();
  readonly #timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  /** The largest sample in each phase, MB: where the peak is. */
  readonly phases: Record<string, number> = {};
  #phase = 'setup';

  sample(): void {
    const rss = process.memoryUsage.rss();
    this.#sampled = Math.max(this.#sampled, rss);
    this.phases[this.#phase] = Math.max(this.phases[this.#phase] ?? 0, round(rss / 2 ** 20));
  }

  enter(phase: string): void {
    this.sample();
    this.#phase = phase;
  }

  async stop(): Promise<number> {
    clearInterval(this.#timer);
    this.sample();
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile('/proc/self/status', 'utf8'));
      if (match !== null) return Math.max(this.#sampled, Number(match[1]) * 1024);
    } catch {
      // No /proc (not Linux): the samples are all there is.
    }
    return this.#sampled;
  }
}

export async function runStorageBenchmark(options: StorageBenchOptions): Promise<StorageBenchResult> {
  const log = options.log ?? (() => undefined);
  const blockTransactions = options.blockTransactions ?? 200;
  const writeBufferMb = options.writeBufferMb ?? WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB;
  const samples = options.samples ?? 1000;
  if (!Number.isInteger(options.events) || options.events < STORY_STEPS || options.events > STORAGE_BENCH_LIMITS.eventsMax) {
    throw new Error(`events must be an integer from ${STORY_STEPS} to ${STORAGE_BENCH_LIMITS.eventsMax}`);
  }
  if (!Number.isInteger(blockTransactions) || blockTransactions < STORY_STEPS || blockTransactions > STORAGE_BENCH_LIMITS.blockTransactionsMax) {
    throw new Error(`block transactions must be an integer from ${STORY_STEPS} to ${STORAGE_BENCH_LIMITS.blockTransactionsMax}`);
  }
  if (!Number.isInteger(samples) || samples < 1 || samples > STORAGE_BENCH_LIMITS.samplesMax) throw new Error(`samples must be an integer from 1 to ${STORAGE_BENCH_LIMITS.samplesMax}`);

  const memory = new PeakMemory();
  const temporary = options.directory === undefined ? await mkdtemp(join(tmpdir(), 'custodia-bench-storage-')) : undefined;
  const root = options.directory ?? temporary!;
  try {
    const testnet = await makeTestnet(join(root, 'net'), writeBufferMb * BYTES_PER_MIB);
    const seed = options.seed ?? 1;
    const prng = Prng.fromSeed(seed, SEED_LABEL);
    memory.enter('load');
    const load = await loadLedger(testnet, Math.ceil(options.events / STORY_STEPS), blockTransactions, prng.fork('proof-ids'), log);
    memory.enter('queries');
    // As many as are timed, up to the limit: a short run stays short.
    const warmupQueries = Math.min(STORAGE_BENCH_LIMITS.queriesWarmup, samples);
    const times = await measureQueriesOnThread({
      genesisFile: testnet.layout.genesisFile,
      ledgerDirectory: testnet.ledgerDirectory,
      writeBufferBytes: testnet.writeBufferBytes,
      stories: load.stories,
      proofIds: load.proofIds,
      samples,
      warmup: warmupQueries,
      proofsChecked: STORAGE_BENCH_LIMITS.proofsChecked,
      seed,
      seedLabel: SEED_LABEL,
    });
    log(`measured ${samples} lot histories, traces, inclusion proofs and state proofs`);
    const queries = { lotHistoryMs: latency(times.histories), traceMs: latency(times.traces), inclusionProofMs: latency(times.proofs), stateProofMs: latency(times.stateProofs), historyEvents: times.historyEvents, proofsChecked: times.proofsChecked };
    memory.enter('serve');
    const serving = await measureServing(testnet, load, samples, prng.fork('serving'), log);
    memory.enter('verify');
    const verified = await measureVerify(testnet, log);
    const storeMb = (await folderBytes(testnet.ledgerDirectory)) / 2 ** 20;
    const rssMbMax = (await memory.stop()) / 2 ** 20;
    const events = load.transactions;
    const result: StorageBenchResult = {
      events,
      transactions: load.transactions,
      blocks: load.blocks,
      committedPerS: round(events / load.seconds),
      lotHistoryMs: queries.lotHistoryMs,
      traceMs: queries.traceMs,
      inclusionProofMs: queries.inclusionProofMs,
      stateProofMs: queries.stateProofMs,
      verifyEventsPerS: round(events / verified.seconds),
      rssMbMax: round(rssMbMax),
      validatorRssMbMax: serving.rssMbMax,
      detail: {
        stories: load.stories,
        blockTransactions,
        samples,
        warmupQueries,
        loadSeconds: round(load.seconds),
        signSeconds: round(load.signSeconds),
        executeSeconds: round(load.executeSeconds),
        appendSeconds: round(load.appendSeconds),
        executeAndAppendPerS: round(events / (load.executeSeconds + load.appendSeconds)),
        loadCpuSeconds: round(load.cpuSeconds),
        loadCpuUsPerEvent: Math.round((load.cpuSeconds * 1e6) / events),
        writeBufferMb,
        verifySeconds: round(verified.seconds),
        storeMb: round(storeMb),
        head: verified.head,
        historyEvents: queries.historyEvents,
        proofsChecked: queries.proofsChecked,
        rssMbByPhase: memory.phases,
        serving: { readyS: Math.round(serving.readyS * 100) / 100, rssMbReady: serving.rssMbReady, rssAnonMbEnd: serving.rssAnonMbEnd, rssFileMbEnd: serving.rssFileMbEnd, historyHttpMs: latency(serving.historyHttpMs), proofHttpMs: latency(serving.proofHttpMs), allocator: validatorAllocator(validatorEnvironment()) },
        ...(temporary === undefined ? { directory: root } : {}),
        targets: STORAGE_TARGETS,
        met: {
          rssMbMax: rssMbMax <= STORAGE_TARGETS.rssMbMax,
          validatorRssMbMax: serving.rssMbMax <= STORAGE_TARGETS.rssMbMax,
          lotHistoryP99Ms: queries.lotHistoryMs.p99 <= STORAGE_TARGETS.lotHistoryP99Ms,
          inclusionProofP99Ms: queries.inclusionProofMs.p99 <= STORAGE_TARGETS.inclusionProofP99Ms,
          verifyEventsPerS: events / verified.seconds >= STORAGE_TARGETS.verifyEventsPerS,
        },
      },
    };
    return result;
  } finally {
    await memory.stop();
    if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
  }
}

async function makeTestnet(directory: string, writeBufferBytes: number): Promise<Testnet> {
  const basePort = await freeBasePort(VALIDATORS);
  const layout = await writeTestnet({ directory, validators: VALIDATORS, basePort, chainId: CHAIN_ID, genesisTime: Date.UTC(2026, 0, 1) });
  const genesis = await readGenesisFile(layout.genesisFile);
  if (!genesis.ok) throw new Error(genesis.message);
  const validatorKeys = [];
  for (const [index, validator] of layout.validators.entries()) {
    const key = await loadKeyFile(join(directory, `validator-${index}`, 'validator.key'));
    if (!key.ok) throw new Error(key.message);
    validatorKeys.push({ id: validator.id, seed: key.key.keyPair.seed });
  }
  const participantKeys: Testnet['participantKeys'] = {};
  for (const participant of DEMO_PARTICIPANTS) {
    const key = await loadKeyFile(layout.participantKeyFiles[participant.name]!);
    if (!key.ok) throw new Error(key.message);
    participantKeys[participant.name] = key.key.keyPair;
  }
  // Validator 0's ledger, where its config puts it (dataDir/ledger): `custodia verify --data DIR/net/validator-0/data` reads it.
  return { directory, layout, basePort, genesis: genesis.genesis, validators: genesis.validators, validatorKeys, participantKeys, ledgerDirectory: join(directory, 'validator-0', 'data', 'ledger'), writeBufferBytes };
}

async function openStore(testnet: Testnet): Promise<BlockStore> {
  const consortium = loadConsortium(testnet.genesis.consortium as JsonValue);
  if (!consortium.ok) throw new Error(consortium.message);
  const opened = await BlockStore.open({ directory: testnet.ledgerDirectory, genesis: testnet.genesis, genesisWrites: genesisWrites(consortium.consortium), validators: testnet.validators, writeBufferBytes: testnet.writeBufferBytes });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

interface Load {
  stories: number;
  transactions: number;
  blocks: number;
  seconds: number;
  signSeconds: number;
  executeSeconds: number;
  appendSeconds: number;
  /** The process's CPU time over the load, every thread. */
  cpuSeconds: number;
  /** A uniform sample of committed transaction ids below the head block (whose own header cannot yet prove them). */
  proofIds: string[];
}

async function loadLedger(testnet: Testnet, stories: number, blockTransactions: number, prng: Prng, log: (line: string) => void): Promise<Load> {
  const store = await openStore(testnet);
  const signers = storySigners(testnet.participantKeys);
  const groupSize = Math.max(1, Math.floor(blockTransactions / STORY_STEPS));
  const blocks = storyBlockCount(groupSize, stories);
  const quorum = testnet.validators.quorum;
  const timing = { sign: 0, execute: 0, append: 0 };
  const reservoir: string[] = [];
  let transactions = 0;
  let lastReport = performance.now();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  try {
    for (let index = 0; index < blocks; index++) {
      let mark = performance.now();
      const signed = storyBlock(index, groupSize, stories).map(({ story, step }) => storyTransaction(CHAIN_ID, signers, story, step));
      const block = signed.map((entry) => entry.transaction);
      const ids = signed.map((entry) => entry.id);
      timing.sign += performance.now() - mark;

      mark = performance.now();
      const head = store.head();
      const height = head.height + 1;
      const timestamp = testnet.genesis.genesisTime + height * 1000;
      // As a validator executes a committed block: state read synchronously from the store, one key after another.
      const executed = await executeBlock({ get: async (key) => store.getStateSync(key) as JsonValue | undefined }, { chainId: CHAIN_ID, height, timestamp }, block, ids);
      const refused = executed.results.findIndex((result) => result.status !== 'accepted');
      if (refused >= 0) {
        const result = executed.results[refused]!;
        throw new Error(`the workload's transaction ${ids[refused]} at height ${height} was refused: ${result.status === 'rejected' ? `${result.code}: ${result.message}` : result.status}`);
      }
      timing.execute += performance.now() - mark;

      mark = performance.now();
      const header: BlockHeader = {
        chainId: CHAIN_ID,
        height,
        round: height,
        prevHash: head.blockHash,
        proposer: testnet.validatorKeys[height % testnet.validatorKeys.length]!.id,
        timestamp,
        txCount: block.length,
        txRoot: transactionRoot(block, ids),
        // The ledger as of the parent, as a leader that has committed it proposes.
        ledgerHeight: head.height,
        logSize: head.logSize,
        logRoot: head.logRoot,
        stateRoot: head.stateRoot,
      };
      const appended = await store.appendBlock({
        block: { header, transactions: block },
        certificate: certify(header, testnet, quorum),
        results: executed.results,
        writes: executed.writes,
        events: executed.events,
        notes: executed.notes,
      });
      if (!appended.ok) throw new Error(`cannot append block ${height}: ${appended.code}: ${appended.message}`);
      timing.append += performance.now() - mark;

      // Reservoir sampling (Algorithm R) over every transaction but the last block's.
      if (index < blocks - 1) {
        for (const id of ids) {
          if (reservoir.length < STORAGE_BENCH_LIMITS.proofIdsKept) reservoir.push(id);
          else {
            const slot = prng.intBelow(transactions + 1);
            if (slot < STORAGE_BENCH_LIMITS.proofIdsKept) reservoir[slot] = id;
          }
          transactions++;
        }
      } else transactions += ids.length;
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        const memory = process.memoryUsage();
        log(`  committed ${transactions} events in ${height} blocks (${Math.round(transactions / ((lastReport - started) / 1000))} events/s; RSS ${Math.round(memory.rss / 2 ** 20)} MB, heap ${Math.round(memory.heapUsed / 2 ** 20)} MB)`);
      }
    }
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  log(`loaded ${transactions} events (${stories} stories) in ${blocks} blocks, ${seconds.toFixed(1)} s, ${cpuSeconds.toFixed(1)} s of CPU`);
  return { stories, transactions, blocks, seconds, cpuSeconds, signSeconds: timing.sign / 1000, executeSeconds: timing.execute / 1000, appendSeconds: timing.append / 1000, proofIds: reservoir };
}

/** A quorum certificate on the header by the first n - f validators of the testnet, as their votes would make it. */
function certify(header: BlockHeader, testnet: Testnet, quorum: number): QuorumCertificate {
  const vote = { blockHash: blockHash(header), height: header.height, round: header.round };
  return { vote, signatures: testnet.validatorKeys.slice(0, quorum).map((key) => ({ validator: key.id, signature: toHex(signVote(CHAIN_ID, key.seed, vote)) })) };
}

/** A validator process on the loaded ledger, asked over HTTP for as many lot histories and proofs as were timed in-process (storage-serve.ts). */
async function measureServing(testnet: Testnet, load: Load, samples: number, prng: Prng, log: (line: string) => void): Promise<ServingMeasure> {
  const lots = Array.from({ length: samples }, (_, sample) => (sample % 2 === 0 ? rawLot : productLot)(prng.intBelow(load.stories)));
  const proofIds = Array.from({ length: samples }, () => load.proofIds[prng.intBelow(load.proofIds.length)]!);
  log(`starting validator 0 on the ledger to serve ${samples} lot histories and ${samples} proofs over HTTP`);
  const serving = await measureServingValidator({ directory: testnet.directory, layout: testnet.layout, basePort: testnet.basePort, chainId: CHAIN_ID, lots, proofIds });
  log(`validator 0: ready in ${serving.readyS.toFixed(1)} s, ${serving.rssMbReady} MB resident once ready, ${serving.rssMbMax} MB at most`);
  return serving;
}

async function measureVerify(testnet: Testnet, log: (line: string) => void): Promise<{ seconds: number; head: StorageBenchResult['detail']['head'] }> {
  const start = performance.now();
  const opened = await openStoreForReading(testnet.ledgerDirectory);
  if (!opened.ok) throw new Error(opened.message);
  try {
    const verdict = await verifyLedger({ reader: opened.reader, genesis: testnet.genesis, validators: testnet.validators, headHeight: opened.headHeight });
    if (!verdict.ok) throw new Error(`verification failed at height ${verdict.height}: ${verdict.message}`);
    const seconds = (performance.now() - start) / 1000;
    log(`verified ${verdict.transactions} transactions in ${verdict.height} blocks, ${seconds.toFixed(1)} s`);
    return { seconds, head: { height: verdict.height, logSize: verdict.logSize, logRoot: verdict.logRoot, stateRoot: verdict.stateRoot } };
  } finally {
    await opened.close();
  }
}

function latency(values: number[]): LatencyMs {
  const sorted = [...values].sort((left, right) => left - right);
  return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted[sorted.length - 1] ?? 0) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function folderBytes(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    total += entry.isDirectory() ? await folderBytes(path) : (await stat(path)).size;
  }
  return total;
}
