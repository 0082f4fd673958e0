/**
 * Offline verification of a transaction proof (docs/encoding.md, section 12): with nothing but
 * the genesis validator keys, an auditor checks that a transaction, with the result the rules
 * gave it, is an entry of the ledger that a quorum of validators certified. When the validator
 * set has changed since genesis, the proof carries the chain of hand-overs (each epoch's last
 * block with the certificate its set made on it), which the verifier follows from the genesis set
 * to the set that certified the checkpoint. Runs in Node and in the browser (the web UI bundles
 * it with the @noble backends). Each failure names the check.
 *
 *   { "format": "custodia-transaction-proof/1", "chainId", "transaction", "entry": {height, position, txId, result},
 *     "inclusion": { "leafIndex", "logSize", "path": [hex...] }, "checkpoint": { "header", "certificate" },
 *     "epochChanges": [{ "header", "certificate" }...] (optional; absent means none) }
 */
import { z } from 'zod';
import { fromHex } from '../encoding/hex.js';
import { ledgerEntryLeafHash } from '../model/ledger-entry.js';
import { hashHex, nonNegativeInteger, positiveInteger } from '../model/primitives.js';
import { transactionResultSchema, type TransactionResult } from '../model/result.js';
import { checkTransaction } from '../model/transaction.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { describeZodError } from '../model/zod-errors.js';
import { verifyInclusion } from '../merkle/index.js';
import { certificateNotOnHeader, certifiedHeaderSchema, epochChangesSchema, verifyCheckpointCertificate } from './checkpoint.js';

export { certifiedHeaderSchema, PROOF_EPOCH_CHANGES_MAX } from './checkpoint.js';

export const TRANSACTION_PROOF_FORMAT = 'custodia-transaction-proof/1';
/** log2 of the largest log, with room: a longer path cannot be genuine. */
const PROOF_PATH_LENGTH_MAX = 64;

export const transactionProofSchema = z.strictObject({
  format: z.literal(TRANSACTION_PROOF_FORMAT),
  chainId: z.string(),
  transaction: z.unknown(),
  entry: z.strictObject({ height: positiveInteger, position: nonNegativeInteger, txId: hashHex, result: transactionResultSchema }),
  inclusion: z.strictObject({ leafIndex: nonNegativeInteger, logSize: positiveInteger, path: z.array(hashHex).max(PROOF_PATH_LENGTH_MAX) }),
  checkpoint: certifiedHeaderSchema,
  /** The blocks that ended each validator-set epoch before the checkpoint's, oldest first. */
  epochChanges: epochChangesSchema.optional(),
});
export type TransactionProof = z.infer<typeof transactionProofSchema>;

/** The checks in the order they run; a failure names the first that fails. */
export const PROOF_CHECK_STEPS = ['format', 'chain', 'transaction', 'entry', 'checkpoint', 'epoch-change', 'certificate', 'inclusion'] as const;
export type ProofCheckStep = (typeof PROOF_CHECK_STEPS)[number];

export type ProofVerdict =
  | {
      ok: true;
      txId: string;
      height: number;
      position: number;
      result: TransactionResult;
      checkpointHeight: number;
      logSize: number;
      /** The validator-set epoch whose set certified the checkpoint (0: the genesis set). */
      epoch: number;
      /** That set's size and quorum. */
      validatorCount: number;
      quorum: number;
    }
  | { ok: false; step: ProofCheckStep; message: string };

/**
 * `validators` is the genesis validator set, the one thing taken on trust; later sets are
 * followed through the proof's epoch changes, each certified by the set before it.
 */
export function verifyTransactionProof(input: unknown, chainId: string, validators: ValidatorSet): ProofVerdict {
  const fail = (step: ProofCheckStep, message: string): ProofVerdict => ({ ok: false, step, message });
  const parsed = transactionProofSchema.safeParse(input);
  if (!parsed.success) return fail('format', `not a transaction proof: ${describeZodError(parsed.error).message}`);
  const proof = parsed.data;
  if (proof.chainId !== chainId || proof.checkpoint.header.chainId !== chainId) return fail('chain', `the proof is for chain ${proof.chainId}, not ${chainId}`);

  const transaction = checkTransaction(proof.transaction, chainId);
  if (!transaction.ok) return fail('transaction', `the transaction fails its checks: ${transaction.code}: ${transaction.message}`);
  const { entry, inclusion, checkpoint } = proof;
  if (entry.txId !== transaction.id) return fail('entry', `the ledger entry names transaction ${entry.txId}, but the transaction's id is ${transaction.id}`);

  const header = checkpoint.header;
  const notOn = certificateNotOnHeader(header, checkpoint.certificate, 'the certificate', 'the checkpoint header');
  if (notOn !== undefined) return fail('checkpoint', notOn);
  if (header.ledgerHeight < entry.height) return fail('checkpoint', `the checkpoint describes the ledger at height ${header.ledgerHeight}, before the entry's height ${entry.height}`);

  // From the genesis set, each hand-over certified by the outgoing set names the next one.
  const certified = verifyCheckpointCertificate(checkpoint, proof.epochChanges ?? [], chainId, validators);
  if (!certified.ok) return fail(certified.step, certified.message);
  const { epoch } = certified;

  if (inclusion.logSize !== header.logSize) return fail('inclusion', `the proof is for a log of ${inclusion.logSize} entries, the checkpoint certifies ${header.logSize}`);
  const included = verifyInclusion(ledgerEntryLeafHash(entry), inclusion.leafIndex, inclusion.logSize, inclusion.path.map(fromHex), fromHex(header.logRoot));
  if (!included.ok) return fail('inclusion', `the entry is not in the certified log: ${included.reason}`);

  return {
    ok: true,
    txId: transaction.id,
    height: entry.height,
    position: entry.position,
    result: entry.result,
    checkpointHeight: header.height,
    logSize: header.logSize,
    epoch: epoch.number,
    validatorCount: epoch.validators.size,
    quorum: epoch.validators.quorum,
  };
}
