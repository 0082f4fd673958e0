/**
 * Worker threads that check transaction signatures for the offline verifier (verify-ledger.ts),
 * so that a whole-ledger verify uses every core: one ed25519 verification costs far more than
 * everything else the verifier does for a transaction, and the signatures of different blocks
 * do not depend on one another. Requests go to the threads in turn; each answers with the first
 * signature of its list that fails, which the verifier turns into the same verdict it reaches
 * checking inline. A thread that breaks rejects every waiting request: a broken invariant, not a
 * verdict on the ledger.
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../assert.js';

/** One (public key, transaction id, signature) to verify, in lowercase hex. */
export type SignatureItem = [publicKey: string, id: string, signature: string];

export interface SignatureRequest {
  sequence: number;
  chainId: string;
  items: SignatureItem[];
}

export interface SignatureAnswer {
  sequence: number;
  /** The index of the first item that does not verify, or -1. */
  failed: number;
}

/** Threads one pool starts at most, whatever the machine. */
export const SIGNATURE_WORKERS_MAX = 16;

export class SignaturePool {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, { resolve: (failed: number) => void; reject: (error: Error) => void }>();
  #sequence = 0;
  #broken: Error | undefined;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const worker of workers) {
      worker.on('message', (answer: SignatureAnswer) => {
        const waiter = this.#waiting.get(answer.sequence);
        assert(waiter !== undefined, `a signature worker answered request ${answer.sequence}, which nobody waits for`);
        this.#waiting.delete(answer.sequence);
        waiter.resolve(answer.failed);
      });
      worker.on('error', (error) => this.#break(error));
      worker.on('exit', (code) => {
        if (this.#broken === undefined && this.#waiting.size > 0) this.#break(new Error(`a signature worker exited with code ${code} while requests waited`));
      });
    }
  }

  static start(count: number): SignaturePool {
    assert(Number.isInteger(count) && count >= 1 && count <= SIGNATURE_WORKERS_MAX, `a signature pool of ${count} workers`);
    // Compiled (tools/bin/compiled-sources.mjs), this module is .js and its worker is too; run from
    // the TypeScript, the worker needs the .mjs entry that loads it through tsx.
    const entry = import.meta.url.endsWith('.js') ? './signature-worker.js' : './signature-worker.mjs';
    return new SignaturePool(Array.from({ length: count }, () => new Worker(new URL(entry, import.meta.url))));
  }

  /** The index of the first item whose signature does not verify, or -1. */
  firstFailure(chainId: string, items: SignatureItem[]): Promise<number> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const sequence = this.#sequence++;
    const answer = new Promise<number>((resolve, reject) => this.#waiting.set(sequence, { resolve, reject }));
    this.#workers[sequence % this.#workers.length]!.postMessage({ sequence, chainId, items } satisfies SignatureRequest);
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
