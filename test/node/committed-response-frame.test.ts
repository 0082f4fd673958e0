/**
 * A committed-response a validator serves fits in one transport frame (node/driver.ts,
 * consensus/catch-up.ts): otherwise the requester's transport drops it and a laggard can never
 * catch up. Sizes are the worst the limits allow: the largest configurable payloads, the longest
 * identifiers, and certificates from the largest validator set. The frame is the one the driver
 * sends: a binary frame on the consensus channel, payloads raw (docs/consensus.md "Wire format").
 */
import { describe, expect, it } from 'vitest';
import { committedResponseBlocks, committedResponseBlocksMax } from '../../consensus/catch-up.js';
import { decodeMessageBytes, encodeMessageParts } from '../../consensus/codec.js';
import { DEFAULT_LIMITS } from '../../consensus/defaults.js';
import type { CommittedBlock } from '../../consensus/messages.js';
import { LEDGER_LIMITS } from '../../ledger/limits.js';
import type { BlockHeader } from '../../ledger/model/block.js';
import { CONFIGURABLE_PAYLOAD_BYTES_MAX } from '../../node/config.js';
import { CONSENSUS_CHANNEL, COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX } from '../../node/driver.js';
import { DEFAULT_TRANSPORT_LIMITS } from '../../node/transport/limits.js';
import { binaryFrameBytes, encodeBinaryFrame, parseFrame } from '../../node/transport/frames.js';
import { TestChain } from '../support/test-chain.js';

const longestId = (index: number) => `validator-${index}-`.padEnd(LEDGER_LIMITS.identifierLengthMax, 'x');
const quorumOfLargestSet = Math.floor((2 * LEDGER_LIMITS.validatorsMax) / 3) + 1;
const template = new TestChain().nextBlock([]).block.header;

/** Committed blocks at heights 1.. in consecutive rounds with the given payload sizes and full-size certificates. */
function committedBlocks(payloadSizes: readonly number[]): CommittedBlock[] {
  return payloadSizes.map((payloadBytes, index) => {
    const header: BlockHeader = { ...template, height: index + 1, round: index + 1, proposer: longestId(0) };
    return {
      block: { header, payload: new Uint8Array(payloadBytes).fill(0x7b) },
      certificate: {
        vote: { blockHash: 'ab'.repeat(32), height: header.height, round: header.round },
        signatures: Array.from({ length: quorumOfLargestSet }, (_, signer) => ({ validator: longestId(signer), signature: 'cd'.repeat(64) })),
      },
    };
  });
}

function frameBytes(blocks: CommittedBlock[]): number {
  return binaryFrameBytes(CONSENSUS_CHANNEL, encodeMessageParts({ kind: 'committed-response', blocks }, 7));
}

const blocksMax = DEFAULT_LIMITS.blocksPerResponseMax;
const serve = (ledger: CommittedBlock[]) => committedResponseBlocks(ledger, () => undefined, blocksMax, COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX);

describe('a committed-response', () => {
  it('carries a pair of blocks at the largest configurable payload within one frame, and a larger payload would not fit', () => {
    const served = serve(committedBlocks([CONFIGURABLE_PAYLOAD_BYTES_MAX, CONFIGURABLE_PAYLOAD_BYTES_MAX, CONFIGURABLE_PAYLOAD_BYTES_MAX]));
    expect(served.map((committed) => committed.block.header.height)).toEqual([1, 2]);
    expect(frameBytes(served)).toBeLessThanOrEqual(DEFAULT_TRANSPORT_LIMITS.frameBytesMax);
    // And the requester's transport and codec take it.
    const frame = encodeBinaryFrame(CONSENSUS_CHANNEL, encodeMessageParts({ kind: 'committed-response', blocks: served }, 7));
    const parsed = parseFrame(frame, true, { frameBytesMax: DEFAULT_TRANSPORT_LIMITS.frameBytesMax, binaryChannels: new Set([CONSENSUS_CHANNEL]) });
    expect(parsed.ok && 'bytes' in parsed && decodeMessageBytes(parsed.bytes)).toMatchObject({ ok: true, epoch: 7, message: { kind: 'committed-response' } });
    // What the cap on payloadBytesMax is for: two blocks at the consensus limit overflow the frame.
    const overLimit = serve(committedBlocks([DEFAULT_LIMITS.payloadBytesMax, DEFAULT_LIMITS.payloadBytesMax]));
    expect(frameBytes(overLimit)).toBeGreaterThan(DEFAULT_TRANSPORT_LIMITS.frameBytesMax);
  });

  it('stops at the payload budget when many mid-size blocks follow, within one frame', () => {
    const blockCount = committedResponseBlocksMax(blocksMax);
    const perBlock = Math.ceil(COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX / (blockCount - 1));
    const served = serve(committedBlocks(Array.from({ length: blockCount + 4 }, () => perBlock)));
    expect(served.length).toBeLessThan(blockCount);
    expect(served.reduce((sum, committed) => sum + committed.block.payload.length, 0)).toBeLessThanOrEqual(COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX);
    expect(frameBytes(served)).toBeLessThanOrEqual(DEFAULT_TRANSPORT_LIMITS.frameBytesMax);
  });

  it('carries the most blocks a response may hold, each with a full-size certificate, within one frame', () => {
    const served = serve(committedBlocks(Array.from({ length: 3 * blocksMax }, () => 1024)));
    expect(served.length).toBe(blocksMax);
    const longest = committedBlocks(Array.from({ length: committedResponseBlocksMax(blocksMax) }, () => 1024));
    expect(frameBytes(longest)).toBeLessThanOrEqual(DEFAULT_TRANSPORT_LIMITS.frameBytesMax);
  });
});
