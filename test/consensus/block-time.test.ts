/**
 * Block time (docs/consensus.md "Block time"): a proposal stamped more than timestampLagMaxMs
 * behind the voter's clock on arrival is refused as timestamp-too-old and gets no vote, but the
 * rule is checked on arrival only, so a proposal held for its parent is still voted for after a
 * slow fetch; and the core measures each peer's clock offset from its verified proposals
 * (rejected ones included, forged ones not), which node/clock-health.ts turns into readiness.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { blockHash } from '../../ledger/model/block.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { ConsensusCore } from '../../consensus/core.js';
import { DEFAULT_TIMINGS } from '../../consensus/defaults.js';
import { proposalDigest, type ProposalMessage } from '../../consensus/messages.js';
import type { ConsensusOutput } from '../../consensus/types.js';
import { LockstepCluster, minCommitted, TestApplication } from './support/lockstep-cluster.js';

const LAG_MS = DEFAULT_TIMINGS.timestampLagMaxMs;

let cluster: LockstepCluster;
/** The first two proposals of a healthy run: round 1 on genesis, round 2 on it with the QC on it. */
let first: ProposalMessage;
let second: ProposalMessage;

beforeAll(() => {
  cluster = new LockstepCluster(4);
  cluster.runUntil(cluster.nowMs + 20_000, () => minCommitted(cluster) >= 2);
  const proposals = cluster.nodes.flatMap((node) =>
    node.outputs.flatMap((output) => (output.kind === 'broadcast' && output.message.kind === 'proposal' ? [output.message] : [])),
  );
  first = structuredClone(proposals.find((proposal) => proposal.block.header.round === 1 && proposal.block.header.height === 1)!);
  second = structuredClone(proposals.find((proposal) => proposal.justify?.vote.blockHash === blockHash(first.block.header))!);
  expect(second.block.header.round).toBe(2);
});

/** A validator that was not in the cluster's run (validator-0, which leads none of rounds 1 to 3): a fresh core with its clock at `nowMs`. */
function freshValidator(nowMs: number): ConsensusCore {
  const core = ConsensusCore.create(cluster.config('validator-0'), new TestApplication());
  core.start(nowMs);
  return core;
}

const votesIn = (outputs: readonly ConsensusOutput[], round: number) =>
  outputs.filter((output) => output.kind === 'send' && output.message.kind === 'vote' && output.message.vote.round === round);

/** The proposal with another timestamp, re-signed by `signer` (its leader by default): what a Byzantine leader can send. */
function restamped(proposal: ProposalMessage, timestamp: number, signer = proposal.block.header.proposer): ProposalMessage {
  const header = { ...proposal.block.header, timestamp };
  const seed = cluster.chain.validatorKeys[cluster.chain.validators.get(signer)!.index]!.seed;
  return { ...proposal, block: { ...proposal.block, header }, signature: toHex(signFor('proposal', cluster.chain.chainId, seed, proposalDigest(blockHash(header), proposal.block.payload))) };
}

describe('the lower bound on block time', () => {
  it('refuses a proposal older than timestampLagMaxMs on arrival as timestamp-too-old, and does not vote for it', () => {
    const timestamp = first.block.header.timestamp;
    const late = freshValidator(timestamp);
    const outputs = late.step({ kind: 'message', from: first.block.header.proposer, message: first, nowMs: timestamp + LAG_MS + 1 });
    expect(late.status().rejections).toEqual({ 'timestamp-too-old': 1 });
    expect(votesIn(outputs, 1)).toHaveLength(0);

    // Exactly at the bound it is still voted for: the rule is what refused the other.
    const onTime = freshValidator(timestamp);
    const voted = onTime.step({ kind: 'message', from: first.block.header.proposer, message: first, nowMs: timestamp + LAG_MS });
    expect(onTime.status().rejections).toEqual({});
    expect(votesIn(voted, 1)).toHaveLength(1);
  });

  it('still votes for a proposal held for its parent when the parent arrives after the lag has passed', () => {
    const arrivalMs = second.block.header.timestamp;
    const core = freshValidator(arrivalMs);
    const sender = second.block.header.proposer;
    const held = core.step({ kind: 'message', from: sender, message: second, nowMs: arrivalMs });
    expect(votesIn(held, 2)).toHaveLength(0);
    const request = held.find((output) => output.kind === 'send' && output.message.kind === 'block-request');
    expect(request).toBeDefined();
    const { to, message } = request as Extract<ConsensusOutput, { kind: 'send' }>;
    expect(to).toBe(sender);
    if (message.kind !== 'block-request') throw new Error('expected a block request');
    const response = { kind: 'block-response' as const, requestId: message.requestId, blocks: [{ block: first.block, justify: first.justify }], committedHeight: 0 };
    const outputs = core.step({ kind: 'message', from: sender, message: response, nowMs: arrivalMs + LAG_MS + 5000 });
    expect(core.status().rejections).toEqual({});
    expect(votesIn(outputs, 2)).toHaveLength(1);
  });
});

describe('clock offsets measured from peers\' proposals', () => {
  it('reports no offset before any peer proposed', () => {
    const core = freshValidator(first.block.header.timestamp);
    expect(core.status().clockOffsetsMs).toEqual({});
    expect(core.status().clockOffsetMs).toBeNull();
  });

  it('shows a clock three minutes slow as peers three minutes ahead, from the very proposals it refuses as bad-timestamp', () => {
    const timestamp = first.block.header.timestamp;
    const slow = freshValidator(timestamp - 180_000);
    const outputs = slow.step({ kind: 'message', from: first.block.header.proposer, message: first, nowMs: timestamp - 180_000 });
    expect(slow.status().rejections).toEqual({ 'bad-timestamp': 1 });
    expect(votesIn(outputs, 1)).toHaveLength(0);
    expect(slow.status().clockOffsetsMs).toEqual({ [first.block.header.proposer]: 180_000 });
    expect(slow.status().clockOffsetMs).toBe(180_000);
  });

  it('takes the median per peer and over peers, counting rejected proposals but not forged ones', () => {
    const nowMs = first.block.header.timestamp;
    const core = freshValidator(nowMs);
    const leaderOfRound1 = first.block.header.proposer;
    const leaderOfRound2 = second.block.header.proposer;
    // A Byzantine leader of round 1 sends re-signed copies with shifted stamps: the first is voted
    // for, the others are equivocation, one also far ahead and one far behind; all are its claims.
    for (const shiftMs of [400, 100_000, 300, -90_000, 200]) core.step({ kind: 'message', from: leaderOfRound1, message: restamped(first, nowMs + shiftMs), nowMs });
    expect(core.status().rejections['equivocation']).toBe(4);
    expect(core.status().clockOffsetsMs).toEqual({ [leaderOfRound1]: 300 });
    // Forged: signed by a validator that does not lead round 1. Not a sample.
    core.step({ kind: 'message', from: leaderOfRound2, message: restamped(first, nowMs + 1_000_000, leaderOfRound2), nowMs });
    expect(core.status().rejections['wrong-leader'] ?? core.status().rejections['bad-signature']).toBe(1);
    expect(core.status().clockOffsetsMs).toEqual({ [leaderOfRound1]: 300 });

    // Round 2's leader, its block stamped 2 s ahead of the local clock; then the median over peers.
    core.step({ kind: 'message', from: leaderOfRound2, message: restamped(second, nowMs + 2000), nowMs });
    expect(core.status().clockOffsetsMs).toEqual({ [leaderOfRound1]: 300, [leaderOfRound2]: 2000 });
    expect(core.status().clockOffsetMs).toBe(1150);
  });

  it('keeps only the last 16 samples of a peer', () => {
    const nowMs = first.block.header.timestamp;
    const core = freshValidator(nowMs);
    const leader = first.block.header.proposer;
    for (let index = 0; index < 16; index++) core.step({ kind: 'message', from: leader, message: restamped(first, nowMs + 50_000 + index), nowMs });
    expect(core.status().clockOffsetsMs[leader]).toBeGreaterThan(40_000);
    for (let index = 0; index < 16; index++) core.step({ kind: 'message', from: leader, message: restamped(first, nowMs + 10 + index), nowMs });
    expect(core.status().clockOffsetsMs[leader]).toBe(17.5);
  });
});
