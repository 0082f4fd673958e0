/**
 * Reconnect delays: exponential backoff with "equal jitter". The delay ceiling doubles with each
 * failed attempt up to a maximum, and the delay is drawn from the upper half of it, so a
 * validator never hammers a peer that is down, and validators restarted together (a devnet, a
 * data-centre power cut) spread out their redials instead of arriving in lockstep.
 */
import { assert } from '../../ledger/assert.js';
import type { RandomSource } from './random.js';

/** `attempt` counts the failed attempts before this one, starting at 0. */
export function reconnectDelayMs(attempt: number, baseMs: number, maxMs: number, random: RandomSource): number {
  assert(Number.isSafeInteger(attempt) && attempt >= 0, 'reconnect attempt must be a non-negative integer');
  assert(baseMs > 0 && maxMs >= baseMs, 'reconnect delays need 0 < base <= max');
  // 2 ** 52 and above would lose integer precision; the ceiling is reached long before.
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  const half = ceilingMs / 2;
  return Math.round(half + random() * half);
}
