/**
 * Offline verification of a transaction proof (docs/encoding.md, section 12): with nothing but
 * the genesis validator keys, an auditor checks that a transaction, with the result the rules
 * gave it, is an entry of the ledger that a quorum of validators certified. Runs in Node and in
 * the browser (the web UI bundles it with the @noble backends). Each failure names the check.
 *
 *   { "format": "custodia-transaction-proof/1", "chainId", "transaction", "entry": {height, position, txId, result},
 *     "inclusion": { "leafIndex", "logSize", "path": [hex...] }, "checkpoint": { "header", "certificate" } }
 */
import { z } from 'zod';
import { fromHex } from '../encoding/hex.js';
import { blockHash, blockHeaderSchema } from '../model/block.js';
import { quorumCertificateSchema, verifyQuorumCertificate } from '../model/certificate.js';
import { ledgerEntryLeafHash } from '../model/ledger-entry.js';
import { hashHex, nonNegativeInteger, positiveInteger } from '../model/primitives.js';
import { transactionResultSchema, type TransactionResult } from '../model/result.js';
import { checkTransaction } from '../model/transaction.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { describeZodError } from '../model/zod-errors.js';
import { verifyInclusion } from '../merkle/index.js';

export const TRANSACTION_PROOF_FORMAT = 'custodia-transaction-proof/1';
/** log2 of the largest log, with room: a longer path cannot be genuine. */
const PROOF_PATH_LENGTH_MAX = 64;

export const transactionProofSchema = z.strictObject({
  format: z.literal(TRANSACTION_PROOF_FORMAT),
  chainId: z.string(),
  transaction: z.unknown(),
  entry: z.strictObject({ height: positiveInteger, position: nonNegativeInteger, txId: hashHex, result: transactionResultSchema }),
  inclusion: z.strictObject({ leafIndex: nonNegativeInteger, logSize: positiveInteger, path: z.array(hashHex).max(PROOF_PATH_LENGTH_MAX) }),
  checkpoint: z.strictObject({ header: blockHeaderSchema, certificate: quorumCertificateSchema }),
});
export type TransactionProof = z.infer<typeof transactionProofSchema>;

export type ProofCheckStep = 'format' | 'chain' | 'transaction' | 'entry' | 'checkpoint' | 'certificate' | 'inclusion';

export type ProofVerdict =
  | { ok: true; txId: string; height: number; position: number; result: TransactionResult; checkpointHeight: number; logSize: number }
  | { ok: false; step: ProofCheckStep; message: string };

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
  const hash = blockHash(header);
  const vote = checkpoint.certificate.vote;
  if (vote.blockHash !== hash || vote.height !== header.height || vote.round !== header.round) {
    return fail('checkpoint', `the certificate is for block ${vote.blockHash} at height ${vote.height}, not the checkpoint header ${hash} at height ${header.height}`);
  }
  if (header.ledgerHeight < entry.height) return fail('checkpoint', `the checkpoint describes the ledger at height ${header.ledgerHeight}, before the entry's height ${entry.height}`);
  const certificate = verifyQuorumCertificate(checkpoint.certificate, validators, chainId);
  if (!certificate.ok) return fail('certificate', `the checkpoint's quorum certificate fails: ${certificate.code}: ${certificate.message}`);

  if (inclusion.logSize !== header.logSize) return fail('inclusion', `the proof is for a log of ${inclusion.logSize} entries, the checkpoint certifies ${header.logSize}`);
  const included = verifyInclusion(ledgerEntryLeafHash(entry), inclusion.leafIndex, inclusion.logSize, inclusion.path.map(fromHex), fromHex(header.logRoot));
  if (!included.ok) return fail('inclusion', `the entry is not in the certified log: ${included.reason}`);

  return { ok: true, txId: transaction.id, height: entry.height, position: entry.position, result: entry.result, checkpointHeight: header.height, logSize: header.logSize };
}
