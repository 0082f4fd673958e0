/**
 * Application state changes and the state root (docs/encoding.md, "State root").
 *
 * Each block's execution yields a write set: keys sorted by UTF-16 code units (the RFC 8785
 * order), each once, with a JSON value or null for a deletion. The state root chains the
 * digests of all write sets since genesis:
 *   stateRoot(h) = SHA-256("custodia/v1/state" || 0x00 || stateRoot(h - 1) || SHA-256(JCS(writes(h))))
 * with stateRoot(-1) = 32 zero bytes and writes(0) the genesis state. Two validators with equal
 * roots applied the same writes in the same order; a sparse Merkle tree with per-key proofs
 * can replace this accumulator later without changing any other structure.
 */
import { z } from 'zod';
import { canonicalBytes, type JsonValue } from '../encoding/canonical-json.js';
import { concatBytes, fromHex, toHex, utf8 } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';
import { jsonValue } from './primitives.js';

export const STATE_KEY_LENGTH_MAX = 512;

export const stateWriteSchema = z.strictObject({
  key: z.string().min(1).max(STATE_KEY_LENGTH_MAX),
  value: jsonValue.nullable(),
});
export interface StateWrite {
  key: string;
  /** null deletes the key. */
  value: JsonValue | null;
}

export const INITIAL_STATE_PARENT = toHex(new Uint8Array(32));
const STATE_TAG = concatBytes(utf8('custodia/v1/state'), new Uint8Array([0]));

/** Whether keys are strictly increasing in UTF-16 code unit order (so each appears once). */
export function isCanonicalWriteSet(writes: readonly StateWrite[]): boolean {
  for (let i = 1; i < writes.length; i++) {
    if (!(writes[i - 1]!.key < writes[i]!.key)) return false;
  }
  return true;
}

export function sortWriteSet(writes: Iterable<StateWrite>): StateWrite[] {
  return [...writes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function writeSetDigest(writes: readonly StateWrite[]): Uint8Array {
  return sha256(canonicalBytes(writes.map((write) => ({ key: write.key, value: write.value }))));
}

export function nextStateRoot(previousRoot: string, writes: readonly StateWrite[]): string {
  return toHex(sha256(concatBytes(STATE_TAG, fromHex(previousRoot), writeSetDigest(writes))));
}
