/**
 * Application state changes (docs/encoding.md, "State root").
 *
 * Each block's execution yields a write set: keys sorted by UTF-16 code units (the RFC 8785
 * order), each once, with a JSON value or null for a deletion; writes(0) is the genesis state.
 * The state root after a height is the root of the sparse Merkle tree over the whole state
 * (ledger/state-tree/), so any key's value, or its absence, can be proven against it.
 */
import { z } from 'zod';
import type { JsonValue } from '../encoding/canonical-json.js';
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
