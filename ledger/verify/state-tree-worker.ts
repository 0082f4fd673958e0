/**
 * The work of the state tree's thread (state-roots.ts): a ScratchStateTree (scratch-state-tree.ts)
 * that applies each height's writes as they come, in order, and answers each with the new root.
 * A failure is answered once and ends the work but for closing: the verifier rejects every root it
 * still awaits, then closes.
 */
import { parentPort } from 'node:worker_threads';
import { assert } from '../assert.js';
import type { StateWrite } from '../model/state.js';
import { ScratchStateTree, ScratchStateTreeError } from './scratch-state-tree.js';
import type { StateTreeAnswer, StateTreeRequest } from './state-roots.js';

assert(parentPort !== null, 'state-tree-worker.ts runs only as a worker thread');
const port = parentPort;
let scratch: ScratchStateTree | undefined;
let failed = false;
let last: Promise<void> = Promise.resolve();

async function answer(request: StateTreeRequest): Promise<StateTreeAnswer> {
  switch (request.type) {
    case 'open':
      assert(scratch === undefined, 'the state tree thread was opened twice');
      scratch = await ScratchStateTree.open(request.options);
      return { type: 'opened' };
    case 'apply': {
      assert(scratch !== undefined, 'the state tree thread applied writes before it was opened');
      // Only null matters of a value here: the tree hashes the texts.
      const writes: StateWrite[] = request.keys.map((key, index) => ({ key, value: request.valueTexts[index] === null ? null : true }));
      const root = scratch.tree.apply(writes, request.valueTexts.map((text) => text ?? 'null'));
      await scratch.afterBlock();
      return { type: 'root', root };
    }
    case 'close':
      await scratch?.close();
      scratch = undefined;
      return { type: 'closed' };
  }
}

port.on('message', (request: StateTreeRequest) => {
  last = last.then(async () => {
    // After a failure only closing is done, so that the scratch folder still goes.
    if (failed && request.type !== 'close') return;
    try {
      port.postMessage(await answer(request));
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      const cause = error instanceof ScratchStateTreeError ? error.cause : undefined;
      port.postMessage({
        type: 'failed',
        message,
        ...(error instanceof ScratchStateTreeError ? { scratch: { directory: error.directory, cause: cause instanceof Error ? cause.message : String(cause) } } : {}),
      } satisfies StateTreeAnswer);
    }
  });
});
