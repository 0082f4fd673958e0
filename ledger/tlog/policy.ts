/**
 * The k-of-n policy a checkpoint verifier applies to Custodia's log (docs/transparency.md,
 * "Keys"): the origin, the validators' note keys and the quorum n - f, from the genesis file
 * (the validators of epoch 0) or from a keys document, the JSON GET /tlog/keys serves:
 *
 *   { "origin": "custodia.tlog/<chain id>", "quorum": 3, "vkeys": ["<vkey>", ...],
 *     "witnesses": ["<cosignature vkey>", ...], "witnessQuorum": 0 }
 *
 * A keys document is only as trustworthy as the channel it came by: fetched from the log
 * itself it pins the keys on first use, as an SSH host key does — unless it is read with the
 * genesis set as the anchor (policyFromGenesisAndKeys): then its hand-overs, each certified by
 * the set before it, are what name the current set, and its own vkeys are not believed.
 */
import { z } from 'zod';
import type { Epoch } from '../model/epoch.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { followEpochChanges } from '../verify/epoch-changes.js';
import { certifiedHeaderSchema, PROOF_EPOCH_CHANGES_MAX } from '../verify/proof.js';
import { chainOrigin, ORIGIN_LENGTH_MAX, validatorVerifiers, type CheckpointPolicy } from './checkpoint.js';
import { NOTE_LIMITS, SIGNATURE_TYPE_COSIGNATURE_ED25519, SIGNATURE_TYPE_ED25519, type NoteVerifier } from './note.js';
import { parseVerifierKey, VERIFIER_KEY_LENGTH_MAX } from './verifier-keys.js';

export const WITNESSES_MAX = 16;

export const tlogKeysSchema = z.object({
  origin: z.string().min(1).max(ORIGIN_LENGTH_MAX),
  quorum: z.number().int().min(1).max(NOTE_LIMITS.signatureLinesMax),
  vkeys: z.array(z.string().max(VERIFIER_KEY_LENGTH_MAX)).min(1).max(NOTE_LIMITS.signatureLinesMax),
  witnesses: z.array(z.string().max(VERIFIER_KEY_LENGTH_MAX)).max(WITNESSES_MAX).default([]),
  witnessQuorum: z.number().int().min(0).max(WITNESSES_MAX).default(0),
  /** The epoch whose set the vkeys are, and the hand-overs that lead to it from the genesis set (as in docs/encoding.md section 12). */
  epoch: z.number().int().min(0).optional(),
  epochChanges: z.array(certifiedHeaderSchema).max(PROOF_EPOCH_CHANGES_MAX).default([]),
});
export type TlogKeys = z.input<typeof tlogKeysSchema>;

export type PolicyLoad = { ok: true; policy: CheckpointPolicy } | { ok: false; message: string };

export function policyFromGenesis(chainId: string, validators: ValidatorSet): CheckpointPolicy {
  const origin = chainOrigin(chainId);
  return { origin, signers: validatorVerifiers(origin, validators.validators), threshold: validators.quorum };
}

export function policyFromKeys(input: unknown): PolicyLoad {
  const parsed = tlogKeysSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: `not a keys document: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}` };
  const keys = parsed.data;
  const parse = (vkeys: readonly string[], type: number): NoteVerifier[] | string => {
    const verifiers: NoteVerifier[] = [];
    for (const vkey of vkeys) {
      const verifier = parseVerifierKey(vkey);
      if (!verifier.ok) return `${vkey}: ${verifier.message}`;
      if (verifier.verifier.type !== type) return `${vkey}: signature type ${verifier.verifier.type}, expected ${type}`;
      verifiers.push(verifier.verifier);
    }
    return verifiers;
  };
  const signers = parse(keys.vkeys, SIGNATURE_TYPE_ED25519);
  if (typeof signers === 'string') return { ok: false, message: signers };
  const witnesses = parse(keys.witnesses, SIGNATURE_TYPE_COSIGNATURE_ED25519);
  if (typeof witnesses === 'string') return { ok: false, message: witnesses };
  if (keys.quorum > signers.length) return { ok: false, message: `a quorum of ${keys.quorum} of ${signers.length} keys` };
  if (keys.witnessQuorum > witnesses.length) return { ok: false, message: `a witness quorum of ${keys.witnessQuorum} of ${witnesses.length} witnesses` };
  return {
    ok: true,
    policy: { origin: keys.origin, signers, threshold: keys.quorum, ...(witnesses.length === 0 ? {} : { cosigners: { verifiers: witnesses, threshold: keys.witnessQuorum } }) },
  };
}

export type FollowedPolicy = { ok: true; policy: CheckpointPolicy; epochs: Epoch[] } | { ok: false; message: string };

/** The policy for the set that signs now: from the genesis set through the document's verified hand-overs; witnesses as the document names them. */
export function policyFromGenesisAndKeys(document: unknown, chainId: string, genesisValidators: ValidatorSet): FollowedPolicy {
  const parsed = tlogKeysSchema.safeParse(document);
  if (!parsed.success) return { ok: false, message: `not a keys document: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}` };
  const keys = parsed.data;
  const walk = followEpochChanges(chainId, genesisValidators, keys.epochChanges);
  if (!walk.ok) return { ok: false, message: `the hand-overs from the genesis set do not verify: ${walk.message}` };
  const epoch = walk.epochs.at(-1)!;
  if (keys.epoch !== undefined && keys.epoch !== epoch.number) return { ok: false, message: `the document names epoch ${keys.epoch}, its hand-overs lead to epoch ${epoch.number}` };
  const witnesses = policyFromKeys({ ...keys, epochChanges: [], vkeys: keys.vkeys, quorum: Math.min(keys.quorum, keys.vkeys.length) });
  if (!witnesses.ok) return witnesses;
  const origin = chainOrigin(chainId);
  return {
    ok: true,
    epochs: walk.epochs,
    policy: { origin, signers: validatorVerifiers(origin, epoch.validators.validators), threshold: epoch.validators.quorum, ...(witnesses.policy.cosigners === undefined ? {} : { cosigners: witnesses.policy.cosigners }) },
  };
}
