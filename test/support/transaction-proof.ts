/** Builds a transaction proof document from a real store, as GET /v1/proofs/transactions/:id does. */
import { transactionId } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { TRANSACTION_PROOF_FORMAT, type TransactionProof } from '../../ledger/verify/proof.js';
import type { StoredChain } from './stored-chain.js';

export async function proofFromStore(stored: StoredChain, height: number, position: number): Promise<TransactionProof> {
  const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.store;
  try {
    const block = (await store.getBlock(height))!;
    const transaction = block.transactions[position]!;
    const head = store.head();
    const checkpointBlock = (await store.getBlock(head.height))!;
    const certificate = (await store.getCertificate(head.height))!;
    const inclusion = (await store.inclusionProof(transactionId(transaction.body), checkpointBlock.header.logSize))!;
    return {
      format: TRANSACTION_PROOF_FORMAT,
      chainId: stored.chain.chainId,
      transaction,
      entry: inclusion.entry,
      inclusion: { leafIndex: inclusion.leafIndex, logSize: inclusion.logSize, path: inclusion.proof },
      checkpoint: { header: checkpointBlock.header, certificate },
    };
  } finally {
    await store.close();
  }
}
