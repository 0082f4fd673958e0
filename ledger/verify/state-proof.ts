/**
 * Offline verification of a state proof (docs/encoding.md, section 16): with nothing but the
 * genesis validator keys, an auditor checks that a state key (an item's custody record, a lot's
 * quarantine, a recall) held a value, or was absent, at a ledger height that a quorum of
 * validators certified. The header of the checkpoint states the ledger at that height
 * (ledgerHeight) and its state root; the proof is the key's path in the state tree
 * (ledger/state-tree/proof.ts). Hand-overs between validator sets are followed as for transaction
 * proofs (checkpoint.ts). Runs in Node and in the browser; each failure names the check.
 *
 *   { "format": "custodia-state-proof/1", "chainId", "key", "value": JSON or null (absent), "height",
 *     "proof": { "levels": [{ "mask", "hashes": [hex...] }...], "leaf"?: { "keyHash", "valueHash" } },
 *     "checkpoint": { "header", "certificate" }, "epochChanges": [{ "header", "certificate" }...] (optional) }
 */
import { z } from 'zod';
import { fromHex } from '../encoding/hex.js';
import { hashHex, jsonValue, nonNegativeInteger } from '../model/primitives.js';
import { STATE_KEY_LENGTH_MAX } from '../model/state.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { describeZodError } from '../model/zod-errors.js';
import type { JsonValue } from '../encoding/canonical-json.js';
import { KEY_HASH_NIBBLES, RADIX, verifyStateTreeProof } from '../state-tree/index.js';
import { certificateNotOnHeader, certifiedHeaderSchema, epochChangesSchema, verifyCheckpointCertificate } from './checkpoint.js';

export const STATE_PROOF_FORMAT = 'custodia-state-proof/1';

export const stateTreeProofSchema = z.strictObject({
  levels: z
    .array(z.strictObject({ mask: z.number().int().min(0).max(0xffff), hashes: z.array(hashHex).max(RADIX - 1) }))
    .max(KEY_HASH_NIBBLES),
  leaf: z.strictObject({ keyHash: hashHex, valueHash: hashHex }).optional(),
});

export const stateProofSchema = z.strictObject({
  format: z.literal(STATE_PROOF_FORMAT),
  chainId: z.string(),
  key: z.string().min(1).max(STATE_KEY_LENGTH_MAX),
  /** null: the key is absent (a state value is never null: writing null deletes). */
  value: jsonValue.nullable(),
  height: nonNegativeInteger,
  proof: stateTreeProofSchema,
  checkpoint: certifiedHeaderSchema,
  epochChanges: epochChangesSchema.optional(),
});
export type StateProof = z.infer<typeof stateProofSchema>;

export const STATE_PROOF_CHECK_STEPS = ['format', 'chain', 'checkpoint', 'epoch-change', 'certificate', 'state'] as const;
export type StateProofCheckStep = (typeof STATE_PROOF_CHECK_STEPS)[number];

export type StateProofVerdict =
  | {
      ok: true;
      key: string;
      present: boolean;
      value: JsonValue | null;
      /** The ledger height the value is proven at. */
      height: number;
      stateRoot: string;
      checkpointHeight: number;
      epoch: number;
      validatorCount: number;
      quorum: number;
    }
  | { ok: false; step: StateProofCheckStep; message: string };

/** `validators` is the genesis validator set, the one thing taken on trust. */
export function verifyStateProof(input: unknown, chainId: string, validators: ValidatorSet): StateProofVerdict {
  const fail = (step: StateProofCheckStep, message: string): StateProofVerdict => ({ ok: false, step, message });
  const parsed = stateProofSchema.safeParse(input);
  if (!parsed.success) return fail('format', `not a state proof: ${describeZodError(parsed.error).message}`);
  const proof = parsed.data;
  if (proof.chainId !== chainId || proof.checkpoint.header.chainId !== chainId) return fail('chain', `the proof is for chain ${proof.chainId}, not ${chainId}`);

  const { header, certificate } = proof.checkpoint;
  const notOn = certificateNotOnHeader(header, certificate, 'the certificate', 'the checkpoint header');
  if (notOn !== undefined) return fail('checkpoint', notOn);
  // The header states the ledger of one height, and its state root is that height's: the proof must be at it.
  if (header.ledgerHeight !== proof.height) return fail('checkpoint', `the checkpoint states the ledger at height ${header.ledgerHeight}, not the proof's height ${proof.height}`);

  const certified = verifyCheckpointCertificate(proof.checkpoint, proof.epochChanges ?? [], chainId, validators);
  if (!certified.ok) return fail(certified.step, certified.message);
  const { epoch } = certified;

  const value = proof.value as JsonValue | null;
  const verdict = verifyStateTreeProof(proof.key, value, proof.proof, fromHex(header.stateRoot));
  if (!verdict.ok) return fail('state', `${value === null ? `the absence of ${proof.key}` : `the value of ${proof.key}`} is not proven by the certified state root: ${verdict.reason}`);

  return {
    ok: true,
    key: proof.key,
    present: value !== null,
    value,
    height: proof.height,
    stateRoot: header.stateRoot,
    checkpointHeight: header.height,
    epoch: epoch.number,
    validatorCount: epoch.validators.size,
    quorum: epoch.validators.quorum,
  };
}
