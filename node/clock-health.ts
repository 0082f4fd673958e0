/**
 * Whether this validator's clock lets it take part (docs/consensus.md "Block time";
 * docs/operations.md "Health signals"), judged from the clock offsets the consensus core measures
 * against its peers' proposals. The offset is a peer's block timestamp minus the local clock:
 * - above clockSkewMaxMs, peers stamp their blocks further ahead of this clock than a voter
 *   accepts: the local clock is behind, and every honest proposal is refused as bad-timestamp;
 * - below -clockSkewMaxMs, the local clock is ahead: its own proposals are stamped further
 *   ahead than its peers accept, and past timestampLagMaxMs it refuses theirs as too old.
 * The median over peers is used, so that f Byzantine leaders cannot move it past the honest ones.
 */
import type { ConsensusStatus } from '../consensus/types.js';

export type ClockHealth =
  | { ok: true; offsetMs: number | null }
  | { ok: false; reason: 'clock-behind' | 'clock-ahead'; offsetMs: number };

export function clockHealth(status: Pick<ConsensusStatus, 'clockOffsetMs'>, clockSkewMaxMs: number): ClockHealth {
  const offsetMs = status.clockOffsetMs;
  // No peer has proposed yet: nothing says the clock is wrong, and the other signals cover a silent network.
  if (offsetMs === null) return { ok: true, offsetMs: null };
  if (offsetMs > clockSkewMaxMs) return { ok: false, reason: 'clock-behind', offsetMs };
  if (offsetMs < -clockSkewMaxMs) return { ok: false, reason: 'clock-ahead', offsetMs };
  return { ok: true, offsetMs };
}
