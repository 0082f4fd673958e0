/**
 * Quorum certificates (docs/encoding.md, "Vote" and "Quorum certificate").
 *
 * A vote signs `domainTag("vote", chainId) || SHA-256(JCS({blockHash, height, round}))`. A
 * certificate is that vote with signatures from at least n - f distinct validators. Because the
 * block hash covers the header's ledger roots, a certificate is also a checkpoint an auditor can
 * check with nothing but the validators' public keys.
 */
import { z } from 'zod';
import { canonicalBytes } from '../encoding/canonical-json.js';
import { fromHex } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';
import { signFor, verifyFor } from '../crypto/signatures.js';
import { LEDGER_LIMITS } from '../limits.js';
import { hashHex, identifier, nonNegativeInteger, positiveInteger, signatureHex } from './primitives.js';
import type { ValidatorSet } from './validator-set.js';

export const voteDataSchema = z.strictObject({
  blockHash: hashHex,
  height: positiveInteger,
  round: nonNegativeInteger,
});
export type VoteData = z.infer<typeof voteDataSchema>;

export const validatorSignatureSchema = z.strictObject({
  validator: identifier,
  signature: signatureHex,
});
export type ValidatorSignature = z.infer<typeof validatorSignatureSchema>;

export const quorumCertificateSchema = z.strictObject({
  vote: voteDataSchema,
  signatures: z.array(validatorSignatureSchema).min(1).max(LEDGER_LIMITS.validatorsMax),
});
export type QuorumCertificate = z.infer<typeof quorumCertificateSchema>;

export function voteDigest(vote: VoteData): Uint8Array {
  return sha256(canonicalBytes({ blockHash: vote.blockHash, height: vote.height, round: vote.round }));
}

/** `epoch` is the validator-set epoch the vote is cast in (0 until the first set change). */
export function signVote(chainId: string, seed: Uint8Array, vote: VoteData, epoch = 0): Uint8Array {
  return signFor('vote', chainId, seed, voteDigest(vote), epoch);
}

export type CertificateRejectionCode =
  | 'malformed'
  | 'unknown-validator'
  | 'duplicate-signer'
  | 'insufficient-quorum'
  | 'bad-signature';

export type CertificateCheck = { ok: true } | { ok: false; code: CertificateRejectionCode; message: string };

/**
 * Checks a certificate against a validator set and its epoch: each signer known and counted once, at least
 * a quorum of them, and every signature valid. Cheap checks first, so a certificate padded
 * with junk costs no signature verification.
 */
export function verifyQuorumCertificate(
  input: unknown,
  validators: ValidatorSet,
  chainId: string,
  epoch = 0,
  /** Signatures the caller knows to verify (a validator's own, consensus/verifier.ts): not checked again. */
  knownToVerify?: (validator: string, digest: Uint8Array, signature: string) => boolean,
): CertificateCheck {
  const parsed = quorumCertificateSchema.safeParse(input);
  if (!parsed.success) return { ok: false, code: 'malformed', message: parsed.error.issues[0]?.message ?? 'malformed certificate' };
  const certificate = parsed.data;
  const seen = new Set<string>();
  for (const { validator } of certificate.signatures) {
    if (validators.get(validator) === undefined) return { ok: false, code: 'unknown-validator', message: `${validator} is not in the validator set` };
    if (seen.has(validator)) return { ok: false, code: 'duplicate-signer', message: `${validator} signed twice` };
    seen.add(validator);
  }
  if (seen.size < validators.quorum) {
    return { ok: false, code: 'insufficient-quorum', message: `${seen.size} signatures; a quorum is ${validators.quorum} of ${validators.size}` };
  }
  const digest = voteDigest(certificate.vote);
  for (const { validator, signature } of certificate.signatures) {
    const entry = validators.get(validator)!;
    if (knownToVerify?.(validator, digest, signature) === true) continue;
    if (!verifyFor('vote', chainId, entry.publicKey, digest, fromHex(signature), epoch)) {
      return { ok: false, code: 'bad-signature', message: `the signature of ${validator} does not verify` };
    }
  }
  return { ok: true };
}
