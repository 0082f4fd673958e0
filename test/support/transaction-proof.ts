/** Builds a transaction proof document from a real store, as GET /v1/proofs/transactions/:id does, hand-overs included. */
import { transactionId } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { TRANSACTION_PROOF_FORMAT, type TransactionProof } from '../../ledger/verify/proof.js';
import type { StoredChain } from './stored-chain.js';

/** The checkpoint is the head block unless `checkpointHeight` names another. */
export async function proofFromStore(stored: StoredChain, height: number, position: number, checkpointHeight?: number): Promise<TransactionProof> {
  const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.store;
  try {
    const block = (await store.getBlock(height))!;
    const transaction = block.transactions[position]!;
    const checkpoint = checkpointHeight ?? store.head().height;
    const checkpointBlock = (await store.getBlock(checkpoint))!;
    const certificate = (await store.getCertificate(checkpoint))!;
    const inclusion = (await store.inclusionProof(transactionId(transaction.body), checkpointBlock.header.logSize))!;
    const epochChanges = await store.epochChanges(checkpoint);
    return {
      format: TRANSACTION_PROOF_FORMAT,
      chainId: stored.chain.chainId,
      transaction,
      entry: inclusion.entry,
      inclusion: { leafIndex: inclusion.leafIndex, logSize: inclusion.logSize, path: inclusion.proof },
      checkpoint: { header: checkpointBlock.header, certificate },
      epochChanges,
    };
  } finally {
    await store.close();
  }
}
