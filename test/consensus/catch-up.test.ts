import { describe, expect, it } from 'vitest';
import { committedResponseBlocks, committedResponseBlocksMax } from '../../consensus/catch-up.js';
import type { CommittedBlock } from '../../consensus/messages.js';
import type { BlockHeader } from '../../ledger/model/block.js';

/** Committed blocks at heights 1.. with the given rounds (only heights, rounds, payload sizes and nextValidators matter here). */
function chainWithRounds(rounds: readonly number[], options: { endsEpochAt?: number; payloadBytes?: number } = {}): CommittedBlock[] {
  return rounds.map((round, index) => {
    const height = index + 1;
    const header = { height, round, ...(height === options.endsEpochAt ? { nextValidators: [] } : {}) } as unknown as BlockHeader;
    return { block: { header, payload: new Uint8Array(options.payloadBytes ?? 1) }, certificate: { vote: { blockHash: '00'.repeat(32), height, round }, signatures: [] } };
  });
}

const heights = (blocks: readonly CommittedBlock[]) => blocks.map((block) => block.block.header.height);
const noProof = () => undefined;

describe('what a validator serves for a committed-request', () => {
  it('serves the requested count when it already ends in a two-chain', () => {
    expect(heights(committedResponseBlocks(chainWithRounds([1, 2, 3, 4, 5, 6]), noProof, 4))).toEqual([1, 2, 3, 4]);
  });

  it('runs past the count until the last two blocks are from consecutive rounds, but never past twice the count', () => {
    expect(heights(committedResponseBlocks(chainWithRounds([1, 3, 5, 7, 9, 10, 12]), noProof, 4))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(heights(committedResponseBlocks(chainWithRounds([1, 3, 5, 7, 9, 11, 13, 15, 17, 18]), noProof, 4))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(committedResponseBlocksMax(4)).toBe(8);
  });

  it('ends with an epoch\'s last block followed by its hand-over proof', () => {
    const proof = chainWithRounds([1, 2, 3, 4, 5, 6, 7, 8]).slice(6);
    const served = committedResponseBlocks(chainWithRounds([1, 2, 3, 4, 5, 6], { endsEpochAt: 3 }), (height) => (height === 3 ? proof : undefined), 4);
    expect(heights(served)).toEqual([1, 2, 3, 7, 8]);
    // Without a kept proof the ledger's own next blocks follow (the new epoch's first block proves the hand-over too).
    expect(heights(committedResponseBlocks(chainWithRounds([1, 2, 3, 1, 2], { endsEpochAt: 3 }), noProof, 4))).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps within the payload budget once it holds a two-chain, and not before: a prefix that proves nothing is no use', () => {
    const big = chainWithRounds([1, 2, 3, 4, 5], { payloadBytes: 100 });
    expect(heights(committedResponseBlocks(big, noProof, 4, 250))).toEqual([1, 2]);
    expect(heights(committedResponseBlocks(big, noProof, 4, 10))).toEqual([1, 2]);
    // Rounds 1 and 3 are no two-chain (a timeout between them): the response runs on to 3 and 4, which are.
    const gapped = chainWithRounds([1, 3, 4, 5, 6], { payloadBytes: 100 });
    expect(heights(committedResponseBlocks(gapped, noProof, 4, 250))).toEqual([1, 2, 3]);
    expect(heights(committedResponseBlocks(chainWithRounds([1, 3, 5, 6, 7], { payloadBytes: 100 }), noProof, 4, 10))).toEqual([1, 2, 3, 4]);
  });
});
