/**
 * Transparency-log checkpoints (c2sp.org/tlog-checkpoint, "Note text" and "Signatures"): a
 * signed note whose text is the log's origin, its tree size in decimal and its RFC 6962 / 9162
 * root hash in base64, one per line, then optional extension lines (Custodia writes none).
 *
 * Custodia's log is signed by its validators, not by one log key: each validator signs the note
 * text with its own Ed25519 key under the key name `<origin>/<validator id>`, and a checkpoint
 * is valid when at least a quorum (n - f) of the validator set's keys signed it — a k-of-n
 * policy any signed-note verifier can apply (docs/transparency.md). Witness cosignatures
 * (cosignature.ts) ride along under their own policy.
 */
import { fromBase64, toBase64 } from '../encoding/base64.js';
import { MERKLE_SIZE_MAX } from '../merkle/index.js';
import { ed25519NoteVerifier, openNote, type NoteFailureCode, type NoteSignature, type NoteVerifier } from './note.js';

export interface Checkpoint {
  origin: string;
  /** Number of leaves. */
  size: number;
  /** The 32-byte Merkle tree hash. */
  rootHash: Uint8Array;
}

/** Origin lines are short; a bound keeps a hostile one from costing anything. */
export const ORIGIN_LENGTH_MAX = 256;
const SIZE_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;

/** Custodia's origin line for a chain: `custodia.tlog/<chain id>` (docs/transparency.md, "Names"). */
export function chainOrigin(chainId: string): string {
  return `custodia.tlog/${chainId}`;
}

/** The key name a validator signs checkpoints under: `<origin>/<validator id>`. */
export function validatorKeyName(origin: string, validatorId: string): string {
  return `${origin}/${validatorId}`;
}

export function formatCheckpointText(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.rootHash)}\n`;
}

export type CheckpointParse = { ok: true; checkpoint: Checkpoint; extensions: string[] } | { ok: false; message: string };

/** Parses a checkpoint's note text (without its signatures). */
export function parseCheckpointText(text: string): CheckpointParse {
  if (!text.endsWith('\n')) return { ok: false, message: 'the checkpoint text does not end in a newline' };
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return { ok: false, message: 'a checkpoint has at least three lines' };
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0 || origin.length > ORIGIN_LENGTH_MAX) return { ok: false, message: `the origin line is empty or longer than ${ORIGIN_LENGTH_MAX}` };
  if (!SIZE_PATTERN.test(size) || Number(size) > MERKLE_SIZE_MAX) return { ok: false, message: 'the tree size is not a decimal without leading zeroes up to 2^48' };
  const rootHash = fromBase64(root);
  if (rootHash === undefined || rootHash.length !== 32) return { ok: false, message: 'the root hash is not 32 bytes in base64' };
  if (extensions.some((line) => line.length === 0)) return { ok: false, message: 'an extension line is empty' };
  return { ok: true, checkpoint: { origin, size: Number(size), rootHash }, extensions };
}

export interface ValidatorKey {
  id: string;
  publicKey: Uint8Array;
}

export function validatorVerifiers(origin: string, validators: readonly ValidatorKey[]): NoteVerifier[] {
  return validators.map((validator) => ed25519NoteVerifier(validatorKeyName(origin, validator.id), validator.publicKey));
}

/** Who must sign a checkpoint for it to count: `threshold` of `signers`, and `cosigners.threshold` of the witnesses. */
export interface CheckpointPolicy {
  origin: string;
  signers: readonly NoteVerifier[];
  threshold: number;
  cosigners?: { verifiers: readonly NoteVerifier[]; threshold: number };
}

export type CheckpointFailureCode = NoteFailureCode | 'not-a-checkpoint' | 'wrong-origin' | 'below-threshold' | 'below-cosigner-threshold';

export type CheckpointCheck =
  | {
      ok: true;
      checkpoint: Checkpoint;
      text: string;
      /** Names of the policy's signers whose signatures verified. */
      signers: string[];
      /** Verified cosignatures: the witness's name and its signature line's bytes. */
      cosignatures: Array<NoteSignature & { verifier: NoteVerifier }>;
    }
  | { ok: false; code: CheckpointFailureCode; message: string };

/**
 * Verifies a signed checkpoint under a k-of-n policy: the note opens against the signers'
 * and cosigners' keys (every signature by a known key verifies), the text is a checkpoint for
 * the policy's origin, and enough distinct signers (and cosigners) signed it.
 */
export function verifyCheckpoint(note: Uint8Array | string, policy: CheckpointPolicy): CheckpointCheck {
  const opened = openNote(note, [...policy.signers, ...(policy.cosigners?.verifiers ?? [])]);
  if (!opened.ok) return opened;
  const parsed = parseCheckpointText(opened.text);
  if (!parsed.ok) return { ok: false, code: 'not-a-checkpoint', message: parsed.message };
  if (parsed.checkpoint.origin !== policy.origin) return { ok: false, code: 'wrong-origin', message: `the checkpoint is for ${parsed.checkpoint.origin}, not ${policy.origin}` };
  const signerSet = new Set(policy.signers);
  const signers = opened.verified.filter((signature) => signerSet.has(signature.verifier)).map((signature) => signature.name);
  if (signers.length < policy.threshold) {
    return { ok: false, code: 'below-threshold', message: `${signers.length} of the log's keys signed; the policy needs ${policy.threshold} of ${policy.signers.length}` };
  }
  const cosignatures = opened.verified.filter((signature) => !signerSet.has(signature.verifier));
  const cosignersNeeded = policy.cosigners?.threshold ?? 0;
  if (cosignatures.length < cosignersNeeded) {
    return { ok: false, code: 'below-cosigner-threshold', message: `${cosignatures.length} witnesses cosigned; the policy needs ${cosignersNeeded}` };
  }
  return { ok: true, checkpoint: parsed.checkpoint, text: opened.text, signers, cosignatures };
}
