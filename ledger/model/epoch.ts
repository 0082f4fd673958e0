/**
 * Validator-set epochs as the ledger records them (docs/encoding.md, "Validator-set epochs").
 *
 * Epoch 0 starts at height 1 with the genesis validators. A committed block whose header carries
 * `nextValidators` is the last block of its epoch: its quorum certificate, made by the outgoing
 * set, hands over to the set it names, which certifies every block from the next height on,
 * under the next epoch number. Consensus signatures are domain-separated by epoch
 * (ledger/crypto/domain.ts), so a verifier needs both the set and the number for each height.
 */
import type { BlockHeader } from './block.js';
import { ValidatorSet, type Validator } from './validator-set.js';

export interface Epoch {
  /** 0 for the genesis set, then one more at each hand-over. */
  readonly number: number;
  /** The first height this set certifies. */
  readonly startHeight: number;
  readonly validators: ValidatorSet;
  /** The set as it was written (ids, keys and addresses), in set order. */
  readonly members: readonly Validator[];
}

export function genesisEpoch(members: readonly Validator[], validators: ValidatorSet): Epoch {
  return { number: 0, startHeight: 1, validators, members };
}

export type EpochStep = { ok: true; epoch: Epoch } | { ok: false; message: string };

/**
 * The epoch that follows `header`'s block: the same one unless the header ends its epoch, in
 * which case the set it names (refused if that set is not a valid validator set).
 */
export function epochAfter(current: Epoch, header: BlockHeader): EpochStep {
  if (header.nextValidators === undefined) return { ok: true, epoch: current };
  const next = ValidatorSet.create(header.nextValidators);
  if (!next.ok) return { ok: false, message: `the next validator set of block ${header.height} is invalid: ${next.path}: ${next.message}` };
  return { ok: true, epoch: { number: current.number + 1, startHeight: header.height + 1, validators: next.set, members: header.nextValidators } };
}
