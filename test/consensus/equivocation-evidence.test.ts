/**
 * Double signatures are reported, not only refused: a validator that receives two verified,
 * conflicting messages of one kind for one round from one signer outputs evidence naming both,
 * which the driver logs and counts (the chaos run's double-sign check reads it).
 */
import { describe, expect, it } from 'vitest';
import type { EquivocationEvidence } from '../../consensus/types.js';
import { proposalDigest, type ProposalMessage, type VoteMessage } from '../../consensus/messages.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { blockHash } from '../../ledger/model/block.js';
import { signVote } from '../../ledger/model/certificate.js';
import { LockstepCluster, minCommitted } from './support/lockstep-cluster.js';

function evidenceAt(cluster: LockstepCluster, id: string): EquivocationEvidence[] {
  return cluster.node(id).outputs.flatMap((output) => (output.kind === 'evidence' ? [output.evidence] : []));
}

function seedOf(cluster: LockstepCluster, id: string): Uint8Array {
  return cluster.chain.validatorKeys[cluster.chain.validators.get(id)!.index]!.seed;
}

describe('equivocation evidence', () => {
  it('an honest run reports none', () => {
    const cluster = new LockstepCluster(4);
    cluster.submit('a');
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 5);
    for (const node of cluster.nodes) expect(evidenceAt(cluster, node.id)).toEqual([]);
  });

  /**
   * Votes are held back (dropped) once the chain has run for a while, so that a proposal's round
   * stays current: its leader's proposal and validator-1's vote for it are then the latest.
   */
  function stalledAfterProposal(): { cluster: LockstepCluster; proposal: ProposalMessage; vote: { to: string; message: VoteMessage } } {
    const cluster = new LockstepCluster(4);
    cluster.submit('a');
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 3);
    cluster.dropRule = (envelope) => envelope.message.kind === 'vote';
    const votesBefore = cluster.node('validator-1').outputs.length;
    cluster.submit('b');
    cluster.runUntil(cluster.nowMs + 5_000, () => cluster.node('validator-1').outputs.slice(votesBefore).some((output) => output.kind === 'send' && output.message.kind === 'vote'));
    const sent = cluster.node('validator-1').outputs.slice(votesBefore).find((output) => output.kind === 'send' && output.message.kind === 'vote')!;
    if (sent.kind !== 'send' || sent.message.kind !== 'vote') throw new Error('validator-1 sent no vote');
    const round = sent.message.vote.round;
    const proposal = cluster.nodes
      .flatMap((node) => node.outputs.flatMap((output) => (output.kind === 'broadcast' && output.message.kind === 'proposal' && output.message.block.header.round === round ? [output.message] : [])))[0]!;
    return { cluster, proposal, vote: { to: sent.to, message: sent.message } };
  }

  it('a second, different vote for a round is refused and reported with both block hashes', () => {
    const { cluster, vote } = stalledAfterProposal();
    const conflicting = { ...vote.message.vote, blockHash: 'ab'.repeat(32) };
    const forged: VoteMessage = { kind: 'vote', vote: conflicting, validator: 'validator-1', signature: toHex(signVote(cluster.chain.chainId, seedOf(cluster, 'validator-1'), conflicting, 0)) };
    const leader = cluster.node(vote.to);
    const rejectionsBefore = leader.core.status().rejections['equivocation'] ?? 0;
    // The dropped original first, then the forgery, straight into the next leader's core.
    for (const message of [vote.message, forged]) leader.outputs.push(...leader.core.step({ kind: 'message', from: 'validator-1', message, nowMs: cluster.nowMs, epoch: 0 }));
    expect(evidenceAt(cluster, vote.to)).toEqual([{ validator: 'validator-1', round: vote.message.vote.round, message: 'vote', first: vote.message.vote.blockHash, second: conflicting.blockHash }]);
    expect(leader.core.status().rejections['equivocation']).toBe(rejectionsBefore + 1);
  });

  it("a leader's second proposal for a round is reported with both block hashes", () => {
    const { cluster, proposal } = stalledAfterProposal();
    const round = proposal.block.header.round;
    const leader = cluster.node('validator-0').core.leaderOf(round);
    const receiver = cluster.nodes.map((node) => node.id).find((id) => id !== leader)!;
    expect(cluster.node(receiver).core.status().round).toBe(round);
    const header = { ...proposal.block.header, timestamp: proposal.block.header.timestamp + 1 };
    const forged: ProposalMessage = { ...proposal, block: { ...proposal.block, header }, signature: toHex(signFor('proposal', cluster.chain.chainId, seedOf(cluster, leader), proposalDigest(blockHash(header), proposal.block.payload))) };
    cluster.inject(leader, receiver, forged);
    cluster.runUntil(cluster.nowMs + 1);
    expect(evidenceAt(cluster, receiver)).toEqual([{ validator: leader, round, message: 'proposal', first: blockHash(proposal.block.header), second: blockHash(header) }]);
  });
});
