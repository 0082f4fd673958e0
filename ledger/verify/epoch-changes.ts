/**
 * Following validator-set hand-overs from the genesis set (docs/encoding.md, section 7.1 and
 * section 12's `epochChanges`): each change is the last block of an epoch with the certificate
 * its outgoing set made on it; in height order, each must be for this chain, lie in the current
 * epoch, carry a certificate on its own header that is valid for the current set and number, and
 * name a valid next set. What the transaction proof verifier and the C2SP tools (whose keys
 * document carries the same list) both run, with the genesis set as the only trust anchor.
 */
import { blockHash, type BlockHeader } from '../model/block.js';
import { verifyQuorumCertificate, type QuorumCertificate } from '../model/certificate.js';
import { epochAfter, genesisEpoch, type Epoch } from '../model/epoch.js';
import type { ValidatorSet } from '../model/validator-set.js';

export interface EpochChangeRecord {
  header: BlockHeader;
  certificate: QuorumCertificate;
}

/** Every epoch from the genesis one, oldest first, or what failed. */
export type EpochWalk = { ok: true; epochs: Epoch[] } | { ok: false; message: string };

export function followEpochChanges(chainId: string, genesisValidators: ValidatorSet, changes: readonly EpochChangeRecord[]): EpochWalk {
  let epoch: Epoch = genesisEpoch(
    genesisValidators.validators.map((validator) => ({ id: validator.id, publicKey: validator.publicKeyHex })),
    genesisValidators,
  );
  const epochs = [epoch];
  for (const [index, change] of changes.entries()) {
    const { header: ending, certificate: handOver } = change;
    const which = `epoch change ${index} (block ${ending.height})`;
    if (ending.chainId !== chainId) return { ok: false, message: `${which} is for chain ${ending.chainId}, not ${chainId}` };
    if (ending.height < epoch.startHeight) {
      return { ok: false, message: `${which} is not after the previous hand-over: epoch ${epoch.number} starts at height ${epoch.startHeight}` };
    }
    const endingHash = blockHash(ending);
    const endingVote = handOver.vote;
    if (endingVote.blockHash !== endingHash || endingVote.height !== ending.height || endingVote.round !== ending.round) {
      return { ok: false, message: `the certificate of ${which} is for block ${endingVote.blockHash} at height ${endingVote.height}, not its header ${endingHash}` };
    }
    if (ending.nextValidators === undefined) return { ok: false, message: `${which} names no nextValidators, so it ends no epoch` };
    const verdict = verifyQuorumCertificate(handOver, epoch.validators, chainId, epoch.number);
    if (!verdict.ok) return { ok: false, message: `the certificate of ${which} fails under epoch ${epoch.number}: ${verdict.code}: ${verdict.message}` };
    const next = epochAfter(epoch, ending);
    if (!next.ok) return { ok: false, message: `${which}: ${next.message}` };
    epoch = next.epoch;
    epochs.push(epoch);
  }
  return { ok: true, epochs };
}

/** The epoch of `epochs` (oldest first) that certifies `height`. */
export function epochOfHeight(epochs: readonly Epoch[], height: number): Epoch {
  return [...epochs].reverse().find((epoch) => height >= epoch.startHeight) ?? epochs[0]!;
}
