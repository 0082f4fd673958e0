/**
 * Builds the state proof document an auditor saves and checks offline (docs/encoding.md,
 * section 16; ledger/verify/state-proof.ts) from a block store: the key's value or absence at the
 * height a certified header states, that header with its certificate, and the hand-overs below it.
 */
import { assert } from '../assert.js';
import { STATE_PROOF_FORMAT, type StateProof } from '../verify/state-proof.js';
import type { BlockStore } from './block-store.js';

export type StateProofDocument = { ok: true; proof: StateProof & { epochChanges: NonNullable<StateProof['epochChanges']> } } | { ok: false; code: 'no-checkpoint' | 'height-not-kept'; message: string };

/**
 * The proof against the header of `checkpointHeight` (default the head, whose certificate the
 * store holds): at the ledger height that header states, whose state root it carries.
 */
export async function stateProofDocument(store: BlockStore, key: string, checkpointHeight = store.head().height): Promise<StateProofDocument> {
  if (checkpointHeight === 0) return { ok: false, code: 'no-checkpoint', message: 'no block is committed yet, so no certified header states a state root' };
  const [block, certificate, epochChanges] = await Promise.all([store.getBlock(checkpointHeight), store.getCertificate(checkpointHeight), store.epochChanges(checkpointHeight)]);
  assert(block !== undefined && certificate !== undefined, `the committed block ${checkpointHeight} or its certificate is missing`);
  const header = block.header;
  const read = await store.stateProof(key, header.ledgerHeight);
  if (!read.ok) return { ok: false, code: read.code, message: read.message };
  assert(read.value.stateRoot === header.stateRoot, `the state root of height ${header.ledgerHeight} differs from the one the header of block ${checkpointHeight} certifies`);
  return {
    ok: true,
    proof: {
      format: STATE_PROOF_FORMAT,
      chainId: store.genesis.chainId,
      key,
      value: read.value.value,
      height: header.ledgerHeight,
      proof: read.value.proof,
      checkpoint: { header, certificate },
      epochChanges,
    },
  };
}
