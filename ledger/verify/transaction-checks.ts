/**
 * The stateless checks of one committed block's transactions, as the offline verifier makes them
 * (verify-ledger.ts; docs/encoding.md section 3): each transaction's shape, canonical bytes and
 * id in order up to the first that fails, the ed25519 signatures of those before it, and for a
 * block whose every transaction has its shape, the ids and the txRoot leaves
 * (`id || signaturesDigest`, ledger/model/block.ts) the block checks take instead of deriving
 * them again. One function for the walk's own thread and for the verifier's worker threads
 * (transaction-checks-pool.ts), so both reach one verdict by construction.
 */
import { concatBytes, toHex } from '../encoding/hex.js';
import { signaturesDigest } from '../model/block.js';
import { checkTransactionShape, verifyTransactionSignatures, type TransactionShape } from '../model/transaction.js';

export interface BlockTransactionChecks {
  /** Each transaction's id in lowercase hex, when every transaction has its shape (its signatures may still fail); undefined otherwise (the block checks then derive them). */
  ids: string[] | undefined;
  /** Each transaction's txRoot leaf data, `id || signaturesDigest` (64 bytes), beside `ids`. */
  leaves: Uint8Array[] | undefined;
  /** The first transaction that fails, worded as checkTransaction words it: `transaction P: code: message`. */
  failure: string | undefined;
}

type CheckedShape = Extract<TransactionShape, { ok: true }>;

/**
 * The block's transactions checked in order. The verdict names the earliest failing transaction:
 * a malformed one stops the shape checks, and a bad signature before it is earlier.
 */
export function checkBlockTransactions(transactions: readonly unknown[], chainId: string): BlockTransactionChecks {
  let shapeFailure: string | undefined;
  const shapes: CheckedShape[] = [];
  for (const [position, transaction] of transactions.entries()) {
    const shape = checkTransactionShape(transaction, chainId);
    if (!shape.ok) {
      shapeFailure = `transaction ${position}: ${shape.code}: ${shape.message}`;
      break;
    }
    shapes.push(shape);
  }
  let failure = shapeFailure;
  for (const [position, shape] of shapes.entries()) {
    const refusal = verifyTransactionSignatures(shape);
    if (refusal !== undefined) {
      failure = `transaction ${position}: ${refusal.code}: ${refusal.message}`;
      break;
    }
  }
  if (shapeFailure !== undefined) return { ids: undefined, leaves: undefined, failure };
  return {
    ids: shapes.map((shape) => toHex(shape.idBytes)),
    leaves: shapes.map((shape) => concatBytes(shape.idBytes, signaturesDigest(shape.transaction))),
    failure,
  };
}
