/**
 * What a validator serves to a peer that asks for committed blocks (docs/consensus.md,
 * "Validator-set epochs"): blocks from its ledger in height order, except that an epoch's last
 * block is followed by the blocks past it that proved it committed (its hand-over proof), and
 * the response ends there. Those blocks are in no ledger; without them a validator still in the
 * old epoch could not tell the hand-over from a certified block the chain abandoned.
 */
import type { CommittedBlock } from './messages.js';

export function committedResponseBlocks(
  ledgerBlocks: readonly CommittedBlock[],
  handOverProof: (height: number) => readonly CommittedBlock[] | undefined,
  blocksMax: number,
): CommittedBlock[] {
  const served: CommittedBlock[] = [];
  for (const committed of ledgerBlocks) {
    if (served.length >= blocksMax) break;
    const header = committed.block.header;
    const proof = header.nextValidators === undefined ? undefined : handOverProof(header.height);
    if (proof === undefined || proof.length === 0) {
      served.push(committed);
      continue;
    }
    // The hand-over and its proof travel together, or in the next response.
    if (served.length + 1 + proof.length > blocksMax && served.length > 0) break;
    served.push(committed, ...proof.slice(0, Math.max(0, blocksMax - served.length - 1)));
    break;
  }
  return served;
}
