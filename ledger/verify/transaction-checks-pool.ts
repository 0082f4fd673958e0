/**
 * Worker threads that make the stateless checks of committed blocks' transactions for the offline
 * verifier (verify-ledger.ts; transaction-checks.ts): shape, canonical bytes, id, txRoot leaf and
 * ed25519 signatures, so that a whole-ledger verify uses every core. The walk's own thread keeps
 * the work that depends on the chain before it (the block checks, certificates, the Merkle log and
 * the state tree, which sets its pace). Each request is one block's record, as the store holds it
 * and as the walk decoded it; requests go to the threads in turn. A thread that breaks rejects
 * every waiting request: a broken invariant, not a verdict on the ledger.
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../assert.js';
import type { BlockTransactionChecks } from './transaction-checks.js';

export interface TransactionChecksRequest {
  sequence: number;
  chainId: string;
  /** The block record's bytes (`{"header":...,"transactions":[...]}`). */
  record: Uint8Array;
}

export interface TransactionChecksAnswer {
  sequence: number;
  ids: string[] | undefined;
  /** The txRoot leaves end to end, 64 bytes each, beside `ids`. */
  leaves: Uint8Array | undefined;
  failure: string | undefined;
}

/** Threads one pool starts at most, whatever the machine. */
export const TRANSACTION_CHECK_WORKERS_MAX = 16;
const LEAF_BYTES = 64;

export class TransactionChecksPool {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, { resolve: (checks: BlockTransactionChecks) => void; reject: (error: Error) => void }>();
  #sequence = 0;
  #broken: Error | undefined;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const worker of workers) {
      worker.on('message', (answer: TransactionChecksAnswer) => {
        const waiter = this.#waiting.get(answer.sequence);
        assert(waiter !== undefined, `a transaction checks worker answered request ${answer.sequence}, which nobody waits for`);
        this.#waiting.delete(answer.sequence);
        waiter.resolve({ ids: answer.ids, leaves: answer.leaves === undefined ? undefined : unpackLeaves(answer.leaves), failure: answer.failure });
      });
      worker.on('error', (error) => this.#break(error));
      worker.on('exit', (code) => {
        if (this.#broken === undefined && this.#waiting.size > 0) this.#break(new Error(`a transaction checks worker exited with code ${code} while requests waited`));
      });
    }
  }

  static start(count: number): TransactionChecksPool {
    assert(Number.isInteger(count) && count >= 1 && count <= TRANSACTION_CHECK_WORKERS_MAX, `a transaction checks pool of ${count} workers`);
    // Compiled (tools/bin/compiled-sources.mjs), this module is .js and its worker is too; run from
    // the TypeScript, the worker needs the .mjs entry that loads it through tsx.
    const entry = import.meta.url.endsWith('.js') ? './transaction-checks-worker.js' : './transaction-checks-worker.mjs';
    return new TransactionChecksPool(Array.from({ length: count }, () => new Worker(new URL(entry, import.meta.url))));
  }

  /** The checks of the transactions in a block record (checkBlockTransactions), made on a worker thread. */
  check(chainId: string, record: Uint8Array): Promise<BlockTransactionChecks> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const sequence = this.#sequence++;
    const answer = new Promise<BlockTransactionChecks>((resolve, reject) => this.#waiting.set(sequence, { resolve, reject }));
    this.#workers[sequence % this.#workers.length]!.postMessage({ sequence, chainId, record } satisfies TransactionChecksRequest);
    return answer;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #break(error: Error): void {
    this.#broken = error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}

/** The leaves end to end in one array, so that an answer is one buffer to copy rather than an object per transaction. */
export function packLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  const packed = new Uint8Array(leaves.length * LEAF_BYTES);
  for (const [index, leaf] of leaves.entries()) {
    assert(leaf.length === LEAF_BYTES, `a txRoot leaf of ${leaf.length} bytes`);
    packed.set(leaf, index * LEAF_BYTES);
  }
  return packed;
}

function unpackLeaves(packed: Uint8Array): Uint8Array[] {
  assert(packed.length % LEAF_BYTES === 0, `packed txRoot leaves of ${packed.length} bytes`);
  return Array.from({ length: packed.length / LEAF_BYTES }, (_, index) => packed.subarray(index * LEAF_BYTES, (index + 1) * LEAF_BYTES));
}
