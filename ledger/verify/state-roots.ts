/**
 * The state roots the offline verifier rebuilds from the write sets (docs/encoding.md, section
 * 9), one a height in order, from a ScratchStateTree (scratch-state-tree.ts) kept either on the
 * verifier's own thread or on a thread of its own (state-tree-worker.ts). The tree's update is
 * about a third of the walk's work and depends on nothing but the write sets and their values'
 * canonical texts, so on a thread it runs beside the block checks; the walk compares each root
 * when it arrives, in the block's order of checks (verify-ledger.ts). Either way one height is
 * applied at a time, each after the last one's batch has started (ScratchStateTree.afterBlock).
 * A thread that breaks rejects every root still awaited: a fault of the machine (a
 * ScratchStateTreeError, rebuilt with its message) or a broken invariant, never a verdict.
 */
import { Worker } from 'node:worker_threads';
import type { StateWrite } from '../model/state.js';
import { encodeWriteValues } from './block-checks.js';
import { ScratchStateTree, ScratchStateTreeError, type ScratchStateTreeOptions } from './scratch-state-tree.js';

export interface StateRoots {
  /** The root after one more height's writes (genesis first); `valueTexts` as block-checks.ts makes them. */
  apply(writes: readonly StateWrite[], valueTexts?: readonly string[]): Promise<string>;
  /** Closes the tree and removes its scratch folder. */
  close(): Promise<void>;
}

export type StateTreeRequest =
  | { type: 'open'; options: ScratchStateTreeOptions }
  | { type: 'apply'; keys: string[]; valueTexts: Array<string | null> }
  | { type: 'close' };

export type StateTreeAnswer =
  | { type: 'opened' }
  | { type: 'root'; root: string }
  | { type: 'closed' }
  | { type: 'failed'; message: string; scratch?: { directory: string; cause: string } };

/** The tree on the caller's thread. */
export class InlineStateRoots implements StateRoots {
  private last: Promise<unknown> = Promise.resolve();

  private constructor(private readonly scratch: ScratchStateTree) {}

  static async open(options?: ScratchStateTreeOptions): Promise<InlineStateRoots> {
    return new InlineStateRoots(await ScratchStateTree.open(options));
  }

  apply(writes: readonly StateWrite[], valueTexts?: readonly string[]): Promise<string> {
    const root = this.last.then(async () => {
      const applied = this.scratch.tree.apply(writes, valueTexts);
      await this.scratch.afterBlock();
      return applied;
    });
    this.last = root.catch(() => undefined);
    return root;
  }

  async close(): Promise<void> {
    await this.last;
    await this.scratch.close();
  }
}

/** The tree on a thread of its own. */
export class ThreadStateRoots implements StateRoots {
  readonly #waiting: Array<{ resolve: (answer: StateTreeAnswer) => void; reject: (error: Error) => void }> = [];
  #broken: Error | undefined;
  #exited = false;
  #closed: (() => void) | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: StateTreeAnswer) => {
      if (answer.type === 'closed') {
        this.#closed?.();
        return;
      }
      if (answer.type === 'failed') {
        this.#break(answer.scratch === undefined ? new Error(`the state tree thread failed: ${answer.message}`) : new ScratchStateTreeError(answer.scratch.directory, new Error(answer.scratch.cause)));
        return;
      }
      this.#waiting.shift()?.resolve(answer);
    });
    worker.on('error', (error) => this.#break(error));
    worker.on('exit', (code) => {
      this.#exited = true;
      this.#closed?.();
      if (this.#broken === undefined && this.#waiting.length > 0) this.#break(new Error(`the state tree thread exited with code ${code} while roots were awaited`));
    });
  }

  static async open(options: ScratchStateTreeOptions = {}): Promise<ThreadStateRoots> {
    const roots = new ThreadStateRoots(new Worker(new URL('./state-tree-worker.mjs', import.meta.url)));
    try {
      await roots.#ask({ type: 'open', options });
    } catch (error) {
      await roots.worker.terminate();
      throw error;
    }
    return roots;
  }

  async apply(writes: readonly StateWrite[], valueTexts?: readonly string[]): Promise<string> {
    const keys = writes.map((write) => write.key);
    // The thread takes each value as its canonical text (null deletes): the texts are all the tree hashes.
    const made = valueTexts ?? encodeWriteValues(writes);
    const texts = writes.map((write, index) => (write.value === null ? null : made[index]!));
    const answer = await this.#ask({ type: 'apply', keys, valueTexts: texts });
    if (answer.type !== 'root') throw new Error(`the state tree thread answered ${answer.type} for a root`);
    return answer.root;
  }

  /** Closes the tree on its thread (after the writes it still holds, and also after a failure, so that its folder goes), then ends the thread. */
  async close(): Promise<void> {
    try {
      if (!this.#exited) {
        await new Promise<void>((resolve) => {
          this.#closed = resolve;
          this.worker.postMessage({ type: 'close' } satisfies StateTreeRequest);
        });
      }
    } finally {
      await this.worker.terminate();
    }
  }

  #ask(request: StateTreeRequest): Promise<StateTreeAnswer> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const answer = new Promise<StateTreeAnswer>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.worker.postMessage(request);
    return answer;
  }

  #break(error: Error): void {
    this.#broken ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#broken);
  }
}
