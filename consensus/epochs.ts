/**
 * The epoch a validator resumes in, read from its committed chain (docs/consensus.md,
 * "Validator-set epochs"): the genesis epoch, advanced at every committed block that names the
 * next validator set. For drivers that hold the chain as committed blocks (the simulator, test
 * harnesses); the node reads the same from its block store's epoch index.
 */
import { blockHash } from '../ledger/model/block.js';
import { epochAfter, genesisEpoch, type Epoch } from '../ledger/model/epoch.js';
import type { Validator, ValidatorSet } from '../ledger/model/validator-set.js';
import type { CommittedBlock } from './messages.js';
import type { EpochConfig } from './types.js';

export function epochOfChain(genesis: { members: readonly Validator[]; validators: ValidatorSet }, committed: readonly CommittedBlock[]): EpochConfig | undefined {
  let epoch: Epoch = genesisEpoch(genesis.members, genesis.validators);
  for (const block of committed) {
    const next = epochAfter(epoch, block.block.header);
    if (!next.ok) throw new Error(next.message);
    epoch = next.epoch;
  }
  if (epoch.number === 0) return undefined;
  const root = committed.find((block) => block.block.header.height === epoch.startHeight - 1);
  if (root === undefined) throw new Error(`the chain lacks block ${epoch.startHeight - 1}, the root of epoch ${epoch.number}`);
  return { number: epoch.number, validators: epoch.validators, startHeight: epoch.startHeight, rootHash: blockHash(root.block.header), rootTimestamp: root.block.header.timestamp };
}
