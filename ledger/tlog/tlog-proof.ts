/**
 * Transparency-log proofs (c2sp.org/tlog-proof, "Format"): an offline-verifiable proof that an
 * entry is in the log, as text:
 *
 *   c2sp.org/tlog-proof@v1
 *   extra <base64 of the entry's leaf input>
 *   index <leaf index>
 *   <inclusion proof hashes, base64, one per line, leaf side first>
 *   (empty line)
 *   <the signed checkpoint, verbatim>
 *
 * The spec leaves the record to the application and offers `extra` for "data necessary to
 * reconstruct the record hash": Custodia puts the RFC 9162 leaf input there, the canonical
 * ledger entry `{height, position, txId, result}` (docs/encoding.md section 5), so the proof is
 * checked from itself and the validators' keys alone. The extra data is not trusted: it is only
 * believed once its leaf hash is proven into the checkpoint a quorum signed.
 */
import { fromBase64, toBase64 } from '../encoding/base64.js';
import { parseStrictJson } from '../encoding/strict-json.js';
import { canonicalize } from '../encoding/canonical-json.js';
import { leafHash, MERKLE_SIZE_MAX, verifyInclusion, type Hash } from '../merkle/index.js';
import { NOTE_LIMITS } from './note.js';
import { verifyCheckpoint, type Checkpoint, type CheckpointPolicy } from './checkpoint.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
/** A path in a 2^48-leaf tree has at most 48 hashes. */
const PROOF_LINES_MAX = 64;
const EXTRA_BYTES_MAX = 96 * 1024;
export const TLOG_PROOF_BYTES_MAX = NOTE_LIMITS.noteBytesMax + EXTRA_BYTES_MAX + PROOF_LINES_MAX * 64;
const INDEX_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;

export interface TlogProof {
  extra: Uint8Array | undefined;
  index: number;
  path: Hash[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
}

export function formatTlogProof(proof: TlogProof): string {
  const extra = proof.extra === undefined ? '' : `extra ${toBase64(proof.extra)}\n`;
  return `${TLOG_PROOF_HEADER}\n${extra}index ${proof.index}\n${proof.path.map((hash) => `${toBase64(hash)}\n`).join('')}\n${proof.checkpoint}`;
}

export type TlogProofParse = { ok: true; proof: TlogProof } | { ok: false; message: string };

export function parseTlogProof(text: string): TlogProofParse {
  const fail = (message: string): TlogProofParse => ({ ok: false, message });
  if (text.length > TLOG_PROOF_BYTES_MAX) return fail(`a proof of more than ${TLOG_PROOF_BYTES_MAX} characters`);
  const blank = text.indexOf('\n\n');
  if (blank < 0) return fail('no empty line before the checkpoint');
  const lines = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (lines.shift() !== TLOG_PROOF_HEADER) return fail(`the first line is not ${TLOG_PROOF_HEADER}`);
  let extra: Uint8Array | undefined;
  if (lines[0]?.startsWith('extra ') === true) {
    extra = fromBase64(lines.shift()!.slice(6));
    if (extra === undefined) return fail('the extra line is not base64');
  }
  const indexLine = lines.shift();
  const index = indexLine?.startsWith('index ') === true ? indexLine.slice(6) : undefined;
  if (index === undefined || !INDEX_PATTERN.test(index) || Number(index) >= MERKLE_SIZE_MAX) return fail('no "index <leaf index>" line');
  if (lines.length > PROOF_LINES_MAX) return fail(`more than ${PROOF_LINES_MAX} proof lines`);
  const path: Hash[] = [];
  for (const line of lines) {
    const hash = fromBase64(line);
    if (hash === undefined || hash.length !== 32) return fail('a proof line is not a 32-byte hash in base64');
    path.push(hash);
  }
  return { ok: true, proof: { extra, index: Number(index), path, checkpoint } };
}

export type TlogProofCheck =
  | { ok: true; checkpoint: Checkpoint; signers: string[]; index: number; leaf: Uint8Array }
  | { ok: false; step: 'format' | 'checkpoint' | 'inclusion'; message: string };

/**
 * Verifies a proof under a checkpoint policy: the checkpoint is signed as the policy asks, and
 * the leaf input (`extra`, or the caller's `leaf`) hashes into it at `index`.
 */
export function verifyTlogProof(text: string, policy: CheckpointPolicy, leaf?: Uint8Array): TlogProofCheck {
  const parsed = parseTlogProof(text);
  if (!parsed.ok) return { ok: false, step: 'format', message: parsed.message };
  const { proof } = parsed;
  const leafInput = leaf ?? proof.extra;
  if (leafInput === undefined) return { ok: false, step: 'format', message: 'no leaf: the proof has no extra line and none was given' };
  const checkpoint = verifyCheckpoint(proof.checkpoint, policy);
  if (!checkpoint.ok) return { ok: false, step: 'checkpoint', message: `${checkpoint.code}: ${checkpoint.message}` };
  const included = verifyInclusion(leafHash(leafInput), proof.index, checkpoint.checkpoint.size, proof.path, checkpoint.checkpoint.rootHash);
  if (!included.ok) return { ok: false, step: 'inclusion', message: `the leaf is not in the checkpoint's tree: ${included.reason}` };
  return { ok: true, checkpoint: checkpoint.checkpoint, signers: checkpoint.signers, index: proof.index, leaf: leafInput };
}

/** The ledger entry a leaf input holds, when it is one: canonical JSON of {height, position, txId, result}. */
export function ledgerEntryOfLeaf(leaf: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(leaf);
  } catch {
    return undefined;
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return undefined;
  return canonicalize(parsed.value) === text ? parsed.value : undefined;
}
