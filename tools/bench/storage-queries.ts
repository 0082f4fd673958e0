/**
 * The storage benchmark's timed queries (storage.ts): lot histories, traces, transaction proofs and
 * state proofs, each the store work of its API route, on a ledger the benchmark has loaded. They
 * run on a thread of their own (storage-queries-worker.ts) with the store opened there as a
 * restarted validator opens it: the loading leaves hundreds of MB in the benchmark's own heap, and
 * its collections would be timed with the queries, which no validator's process carries
 * (docs/performance.md, "A proof's reads").
 */
import { Worker } from 'node:worker_threads';
import { itemHistory } from '../../api/http/item-routes.js';
import { transactionProof } from '../../api/http/proof-routes.js';
import type { Reader } from '../../api/http/access.js';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import { trace } from '../../contracts/queries.js';
import { stateKeys, type StateReader } from '../../contracts/state.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { stateProofDocument, type StateProofDocument } from '../../ledger/store/state-proof-document.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { verifyStateProof } from '../../ledger/verify/state-proof.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';
import { Prng } from '../sim/prng.js';
import { productLot, rawLot } from './storage-workload.js';

/** What the queries need, as plain data a thread can be handed. */
export interface QueriesInput {
  genesisFile: string;
  ledgerDirectory: string;
  writeBufferBytes: number;
  /** Stories loaded: their lots are what the histories, traces and state proofs ask for. */
  stories: number;
  /** Transactions the proofs are asked for. */
  proofIds: string[];
  samples: number;
  /**
   * Queries of each kind run untimed first: a validator that has served a while has compiled
   * these paths, and the first few hundred calls of a function run before V8 optimizes it.
   */
  warmup: number;
  /** Proofs of each kind checked as an auditor would, after the timing, so that the checks' garbage is not collected inside it. */
  proofsChecked: number;
  /** The stream the samples are drawn from: `Prng.fromSeed(seed, seedLabel).fork('queries')`. */
  seed: number;
  seedLabel: string;
}

/** Each query's time, ms, in the order run. */
export interface QueryTimes {
  histories: number[];
  traces: number[];
  proofs: number[];
  stateProofs: number[];
  historyEvents: { rawLot: number; productLot: number };
  proofsChecked: number;
}

/** An auditor's credential: it reads everything, as the API's auditors and regulators do. */
const AUDITOR: Reader = { participant: DEMO_PARTICIPANTS.find((participant) => participant.name === 'regulator')!.id, roles: ['regulator', 'auditor'], readsEverything: true, credential: 'token' };

/** The queries on a thread of their own; an error there is this call's error. */
export function measureQueriesOnThread(input: QueriesInput): Promise<QueryTimes> {
  // Compiled (tools/bin/compiled-sources.mjs), this module is .js and its worker is too; run from
  // the TypeScript, the worker needs the .mjs entry that loads it through tsx.
  const entry = import.meta.url.endsWith('.js') ? './storage-queries-worker.js' : './storage-queries-worker.mjs';
  const worker = new Worker(new URL(entry, import.meta.url), { workerData: input });
  return new Promise((resolve, reject) => {
    let answered = false;
    worker.once('message', (answer: { ok: true; times: QueryTimes } | { ok: false; message: string }) => {
      answered = true;
      if (answer.ok) resolve(answer.times);
      else reject(new Error(answer.message));
    });
    worker.once('error', (error) => {
      answered = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the storage queries' thread exited with code ${code} before answering`));
    });
  });
}

export async function measureQueries(input: QueriesInput): Promise<QueryTimes> {
  const genesis = await readGenesisFile(input.genesisFile);
  if (!genesis.ok) throw new Error(genesis.message);
  const consortium = loadConsortium(genesis.genesis.consortium as JsonValue);
  if (!consortium.ok) throw new Error(consortium.message);
  const chainId = genesis.genesis.chainId;
  const opened = await BlockStore.open({ directory: input.ledgerDirectory, genesis: genesis.genesis, genesisWrites: genesisWrites(consortium.consortium), validators: genesis.validators, writeBufferBytes: input.writeBufferBytes });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.store;
  const prng = Prng.fromSeed(input.seed, input.seedLabel).fork('queries');
  const state: StateReader = { get: async (key) => (await store.getState(key)) as JsonValue | undefined };
  try {
    const timed = async <T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> => {
      const start = performance.now();
      const value = await run();
      return { value, ms: performance.now() - start };
    };
    const historyEvents = { rawLot: 0, productLot: 0 };
    const histories: number[] = [];
    const traces: number[] = [];
    for (let sample = 0; sample < input.warmup + input.samples; sample++) {
      const story = prng.intBelow(input.stories);
      const raw = sample % 2 === 0;
      const lot = raw ? rawLot(story) : productLot(story);
      const history = await timed(() => lotHistoryReads(store, state, lot));
      // Each lot's whole story is committed: four events name a raw lot, three its product.
      const expected = raw ? 4 : 3;
      if (history.value !== expected) throw new Error(`the history of ${lot} holds ${history.value} events, not ${expected}`);
      historyEvents[raw ? 'rawLot' : 'productLot'] = history.value;
      const traced = await timed(() => trace(state, productLot(story), 'back'));
      if (traced.value === undefined || !traced.value.nodes.some((node) => node.id === rawLot(story))) throw new Error(`the trace of ${productLot(story)} does not reach ${rawLot(story)}`);
      if (sample < input.warmup) continue;
      histories.push(history.ms);
      traces.push(traced.ms);
    }

    const proofs: number[] = [];
    const proofsToCheck: Array<{ id: string; proof: unknown }> = [];
    for (let sample = 0; sample < input.warmup + input.samples; sample++) {
      const id = input.proofIds[prng.intBelow(input.proofIds.length)]!;
      const proof = await timed(() => proofReads(store, id, chainId));
      if (sample < input.warmup) continue;
      proofs.push(proof.ms);
      if (proofsToCheck.length < input.proofsChecked) proofsToCheck.push({ id, proof: proof.value });
    }
    for (const { id, proof } of proofsToCheck) {
      const verdict = verifyTransactionProof(proof, chainId, genesis.validators);
      if (!verdict.ok) throw new Error(`the proof of ${id} fails at ${verdict.step}: ${verdict.message}`);
    }
    const proofsChecked = proofsToCheck.length;

    const stateProofs: number[] = [];
    const stateProofsToCheck: Array<{ key: string; proof: Extract<StateProofDocument, { ok: true }>['proof'] }> = [];
    for (let sample = 0; sample < input.warmup + input.samples; sample++) {
      const key = stateKeys.lot(rawLot(prng.intBelow(input.stories)));
      const document = await timed(() => stateProofDocument(store, key));
      if (!document.value.ok) throw new Error(`no state proof of ${key}: ${document.value.message}`);
      if (sample < input.warmup) continue;
      stateProofs.push(document.ms);
      if (stateProofsToCheck.length < input.proofsChecked) stateProofsToCheck.push({ key, proof: document.value.proof });
    }
    for (const { key, proof } of stateProofsToCheck) {
      const verdict = verifyStateProof(proof, chainId, genesis.validators);
      if (!verdict.ok || !verdict.present) throw new Error(`the state proof of ${key} fails: ${verdict.ok ? 'the lot is absent' : `${verdict.step}: ${verdict.message}`}`);
    }
    return { histories, traces, proofs, stateProofs, historyEvents, proofsChecked };
  } finally {
    await store.close();
  }
}

/** GET /v1/items/:epc/history's answer for an auditor, as the route computes it (api/http/item-routes.ts itemHistory); the number of events. */
async function lotHistoryReads(store: BlockStore, state: StateReader, epc: string): Promise<number> {
  const history = await itemHistory(store, state, AUDITOR, epc, {});
  if (history === undefined) throw new Error(`no history of ${epc}`);
  return history.events.length;
}

/** The store reads of GET /v1/proofs/transactions/:id (api/http/proof-routes.ts), giving the proof document it answers. */
async function proofReads(store: BlockStore, id: string, chainId: string): Promise<unknown> {
  const record = await store.getTransaction(id);
  if (record === undefined) throw new Error(`transaction ${id} is not in the store`);
  const proof = await transactionProof(store, record, chainId);
  if (proof === 'not-yet-checkpointed') throw new Error(`no certified header covers transaction ${id}`);
  return proof;
}
