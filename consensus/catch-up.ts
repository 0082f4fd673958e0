/**
 * What a validator serves to a peer that asks for committed blocks (docs/consensus.md, "Catching
 * up" and "Validator-set epochs"). The requester takes blocks only as far as the response proves
 * them committed: a block followed by its child from the very next round (the two-chain rule)
 * is committed, and so are its ancestors. So the response runs past the requested count, up to
 * twice it, until its last two blocks are such a pair. An epoch's last block has no such child
 * in any ledger: it is followed by the blocks past it that proved it committed (the hand-over
 * proof), and the response ends there. Payload bytes are budgeted too, so that a response fits
 * in one transport frame, but only once the response holds a two-chain: before that it proves
 * nothing, and a requester sent the same useless prefix again and again would never catch up.
 */
import type { CommittedBlock } from './messages.js';

/** `ledgerBlocks` are consecutive committed blocks from the requested height, up to twice `blocksMax` of them. */
export function committedResponseBlocks(
  ledgerBlocks: readonly CommittedBlock[],
  handOverProof: (height: number) => readonly CommittedBlock[] | undefined,
  blocksMax: number,
  payloadBytesMax = Number.POSITIVE_INFINITY,
): CommittedBlock[] {
  const served: CommittedBlock[] = [];
  let payloadBytes = 0;
  let provesSomething = false;
  for (const committed of ledgerBlocks) {
    if (served.length >= 2 * blocksMax || (served.length >= blocksMax && endsInTwoChain(served))) break;
    payloadBytes += committed.block.payload.length;
    if (provesSomething && payloadBytes > payloadBytesMax) break;
    served.push(committed);
    provesSomething ||= endsInTwoChain(served);
    const header = committed.block.header;
    const proof = header.nextValidators === undefined ? undefined : handOverProof(header.height);
    if (proof !== undefined && proof.length > 0) {
      served.push(...proof.slice(0, blocksMax));
      break;
    }
  }
  return served;
}

/** The most blocks a committed-response may carry, for a requester that asked for `blocksMax`. */
export function committedResponseBlocksMax(blocksMax: number): number {
  return 2 * blocksMax;
}

function endsInTwoChain(blocks: readonly CommittedBlock[]): boolean {
  const last = blocks[blocks.length - 1]!.block.header;
  const previous = blocks[blocks.length - 2]?.block.header;
  return previous !== undefined && last.round === previous.round + 1;
}
