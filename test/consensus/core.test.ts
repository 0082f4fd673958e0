import { describe, expect, it } from 'vitest';
import { blockHash } from '../../ledger/model/block.js';
import { verifyQuorumCertificate } from '../../ledger/model/certificate.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { ConsensusCore } from '../../consensus/core.js';
import { proposalDigest, type ProposalMessage } from '../../consensus/messages.js';
import type { ConsensusOutput } from '../../consensus/types.js';
import { expectIdenticalPrefixes, LockstepCluster, minCommitted, TestApplication } from './support/lockstep-cluster.js';


describe('the consensus core in a healthy cluster', () => {
  for (const size of [4, 7]) {
    it(`commits the same blocks on all ${size} validators, each with a valid QC on it`, () => {
      const cluster = new LockstepCluster(size);
      for (let index = 0; index < 30; index++) cluster.submit(`tx-${index}`);
      cluster.runUntil(cluster.nowMs + 20_000, () => minCommitted(cluster) >= 12);
      expect(minCommitted(cluster)).toBeGreaterThanOrEqual(12);
      expectIdenticalPrefixes(cluster);
      for (const node of cluster.nodes) {
        for (const [index, committed] of node.committed.entries()) {
          expect(committed.block.header.height).toBe(index + 1);
          expect(committed.certificate.vote.blockHash).toBe(blockHash(committed.block.header));
          expect(verifyQuorumCertificate(committed.certificate, cluster.chain.validators, cluster.chain.chainId)).toEqual({ ok: true });
        }
        expect(new Set(node.app.committed).size).toBe(node.app.committed.length);
      }
      expect(cluster.node('validator-0').app.committed).toHaveLength(30);
    });
  }

  it('commits with a single validator (a quorum of one), doing bounded work per step', () => {
    const cluster = new LockstepCluster(1);
    cluster.submit('solo');
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 5);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(5);
    expect(cluster.node('validator-0').app.committed).toEqual(['solo']);
  });

  it('orders every step: durable writes first, then messages, then commits, then the timer', () => {
    const cluster = new LockstepCluster(4);
    cluster.submit('a');
    cluster.runUntil(cluster.nowMs + 5000, () => minCommitted(cluster) >= 3);
    const rank = (output: ConsensusOutput) => ({ persist: 0, send: 1, broadcast: 1, commit: 2, epoch: 2, evidence: 2, timer: 3 })[output.kind];
    let checkedSteps = 0;
    for (const node of cluster.nodes) {
      // Outputs of consecutive steps are concatenated; each step ends with exactly one timer.
      let step: ConsensusOutput[] = [];
      for (const output of node.outputs) {
        step.push(output);
        if (output.kind !== 'timer') continue;
        const ranks = step.map(rank);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(step.filter((entry) => entry.kind === 'persist').length).toBeLessThanOrEqual(1);
        checkedSteps++;
        step = [];
      }
    }
    expect(checkedSteps).toBeGreaterThan(20);
  });

  it('sends each vote to the leader of the next round only, after persisting the vote', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 5000, () => minCommitted(cluster) >= 3);
    let votes = 0;
    for (const node of cluster.nodes) {
      let persistedVoteRound = 0;
      for (const output of node.outputs) {
        if (output.kind === 'persist' && output.safety?.lastVote) persistedVoteRound = output.safety.lastVote.round;
        if (output.kind === 'send' && output.message.kind === 'vote') {
          votes++;
          expect(output.to).toBe(node.core.leaderOf(output.message.vote.round + 1));
          expect(persistedVoteRound).toBe(output.message.vote.round);
        }
        if (output.kind === 'broadcast') expect(output.message.kind).not.toBe('vote');
      }
    }
    expect(votes).toBeGreaterThan(5);
  });

  it('commits a block only once its child from the very next round is certified', () => {
    const cluster = new LockstepCluster(4);
    // Drop every proposal of round 3 so that round ends in a timeout certificate.
    cluster.dropRule = (envelope) => envelope.message.kind === 'proposal' && envelope.message.block.header.round === 3;
    cluster.submit('x');
    cluster.runUntil(cluster.nowMs + 30_000, () => minCommitted(cluster) >= 8);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(8);
    const committed = cluster.node('validator-0').committed;
    expect(committed.some((block) => block.block.header.round === 3)).toBe(false);
    // Every commit output ends at a block whose successor on the chain is from the next round.
    for (const output of cluster.node('validator-0').outputs) {
      if (output.kind !== 'commit') continue;
      const last = output.blocks[output.blocks.length - 1]!.block.header;
      const successor = committed.find((block) => block.block.header.height === last.height + 1);
      if (successor !== undefined) expect(successor.block.header.round).toBe(last.round + 1);
    }
    expectIdenticalPrefixes(cluster);
  });
});

describe('the consensus core under faults', () => {
  it('keeps committing with f validators down, stops with f + 1 without forking, and resumes when they return', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 5000, () => minCommitted(cluster) >= 3);
    cluster.crash('validator-2');
    const live = ['validator-0', 'validator-1', 'validator-3'];
    const before = minCommitted(cluster, live);
    cluster.runUntil(cluster.nowMs + 60_000, () => minCommitted(cluster, live) >= before + 5);
    expect(minCommitted(cluster, live)).toBeGreaterThanOrEqual(before + 5);

    cluster.crash('validator-3');
    const stalled = Math.max(...live.map((id) => cluster.node(id).committed.length));
    cluster.runUntil(cluster.nowMs + 60_000);
    // One more block may commit from certificates already in flight, then nothing.
    expect(Math.max(...live.map((id) => cluster.node(id).committed.length))).toBeLessThanOrEqual(stalled + 1);

    cluster.restart('validator-2');
    cluster.restart('validator-3');
    const resumed = Math.max(...live.map((id) => cluster.node(id).committed.length));
    cluster.runUntil(cluster.nowMs + 300_000, () => minCommitted(cluster) >= resumed + 3);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(resumed + 3);
    expectIdenticalPrefixes(cluster);
  });

  it('rejoins after a restart from its persisted state and stored blocks, never re-voting differently', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 5000, () => minCommitted(cluster) >= 4);
    cluster.crash('validator-1');
    cluster.runUntil(cluster.nowMs + 20_000);
    cluster.restart('validator-1');
    const target = Math.max(...cluster.nodes.map((node) => node.committed.length)) + 3;
    cluster.runUntil(cluster.nowMs + 120_000, () => minCommitted(cluster) >= target);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(target);
    expectIdenticalPrefixes(cluster);
    const votesByRound = new Map<number, string>();
    for (const output of cluster.node('validator-1').outputs) {
      if (output.kind !== 'send' || output.message.kind !== 'vote') continue;
      const earlier = votesByRound.get(output.message.vote.round);
      if (earlier !== undefined) expect(output.message.vote.blockHash).toBe(earlier);
      votesByRound.set(output.message.vote.round, output.message.vote.blockHash);
    }
  });

  it('catches up through committed blocks from a peer when it is behind the peers\' recent-block window', () => {
    const cluster = new LockstepCluster(4, { limits: { recentCommittedBlocksKept: 4, blocksPerResponseMax: 8 } });
    cluster.crash('validator-3');
    const live = ['validator-0', 'validator-1', 'validator-2'];
    cluster.runUntil(cluster.nowMs + 120_000, () => minCommitted(cluster, live) >= 30);
    cluster.restart('validator-3');
    expect(cluster.node('validator-3').core.status().peersCommittedHeight).toBeNull();
    const liveHeight = minCommitted(cluster, live);
    const target = Math.max(...cluster.nodes.map((node) => node.committed.length)) + 2;
    cluster.runUntil(cluster.nowMs + 120_000, () => minCommitted(cluster) >= target);
    expect(cluster.node('validator-3').committed.length).toBeGreaterThanOrEqual(target);
    // What the peers said they had committed is what it learned how far to go from (custodia repair waits on it).
    expect(cluster.node('validator-3').core.status().peersCommittedHeight).toBeGreaterThanOrEqual(liveHeight);
    const requests = cluster.node('validator-3').outputs.filter((output) => output.kind === 'send' && output.message.kind === 'committed-request');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expectIdenticalPrefixes(cluster);
  });
});

describe('the consensus core refuses bad input by counting it, never by throwing', () => {
  it('refuses a block whose ledger height goes back below its parent\'s, and does not vote for it', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 6);
    let captured: ProposalMessage | undefined;
    cluster.dropRule = (envelope) => {
      if (envelope.message.kind !== 'proposal' || envelope.message.block.header.ledgerHeight === 0) return false;
      captured ??= envelope.message;
      return envelope.message === captured;
    };
    cluster.runUntil(cluster.nowMs + 5000, () => captured !== undefined);
    const original = captured!;
    const header = { ...original.block.header, ledgerHeight: 0, logSize: 0, logRoot: '00'.repeat(32), stateRoot: '00'.repeat(32) };
    const proposerSeed = cluster.chain.validatorKeys[cluster.chain.validators.get(header.proposer)!.index]!.seed;
    const forged: ProposalMessage = {
      ...original,
      block: { ...original.block, header },
      signature: toHex(signFor('proposal', cluster.chain.chainId, proposerSeed, proposalDigest(blockHash(header), original.block.payload))),
    };
    const target = cluster.nodes.find((node) => node.id !== header.proposer)!;
    const outputs = target.core.step({ kind: 'message', from: header.proposer, message: forged, nowMs: cluster.nowMs });
    expect(target.core.status().rejections['bad-ledger-height']).toBe(1);
    expect(outputs.some((output) => output.kind === 'send' && output.message.kind === 'vote' && output.message.vote.round === header.round)).toBe(false);
  });

  it('takes committed blocks from a peer only with proof that they committed, never on a certificate alone', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster, ['validator-0']) >= 4);
    const [first, second] = cluster.node('validator-0').committed;
    expect(second!.block.header.round).toBe(first!.block.header.round + 1);
    const fresh = ConsensusCore.create(cluster.config('validator-3'), new TestApplication());
    fresh.start(cluster.nowMs);
    const askFor = () => {
      // A message from a later epoch makes it ask that peer for committed blocks.
      const outputs = fresh.step({ kind: 'message', from: 'validator-0', message: { kind: 'sync-info', highQc: null, highTc: null }, nowMs: cluster.nowMs, epoch: 1 });
      expect(outputs.some((output) => output.kind === 'send' && output.message.kind === 'committed-request')).toBe(true);
    };
    const commitsOf = (outputs: ConsensusOutput[]) => outputs.flatMap((output) => (output.kind === 'commit' ? output.blocks.map((block) => block.block.header.height) : []));
    askFor();
    expect(commitsOf(fresh.step({ kind: 'message', from: 'validator-0', message: { kind: 'committed-response', blocks: [first!] }, nowMs: cluster.nowMs }))).toEqual([]);
    expect(fresh.status().committedHeight).toBe(0);
    askFor();
    expect(commitsOf(fresh.step({ kind: 'message', from: 'validator-0', message: { kind: 'committed-response', blocks: [first!, second!] }, nowMs: cluster.nowMs }))).toEqual([1]);
  });

  it('counts forged, unknown, stale and far-future messages', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 5000, () => minCommitted(cluster) >= 3);
    const target = cluster.node('validator-0');
    const round = target.core.status().round;
    const vote = { blockHash: 'ab'.repeat(32), height: 1, round: round + 3 };
    const leaderOfNext = cluster.nodes.find((node) => node.core.leaderOf(vote.round + 1) === node.id)!;
    const inputs = [
      { from: 'validator-1', message: { kind: 'vote' as const, vote, validator: 'validator-1', signature: '00'.repeat(64) } },
      { from: 'stranger', message: { kind: 'vote' as const, vote, validator: 'stranger', signature: '00'.repeat(64) } },
      { from: 'validator-1', message: { kind: 'timeout' as const, round: 1, highQc: null, validator: 'validator-1', signature: '00'.repeat(64), highTc: null } },
      { from: 'validator-1', message: { kind: 'timeout' as const, round: round + 5000, highQc: null, validator: 'validator-1', signature: '00'.repeat(64), highTc: null } },
      { from: 'validator-1', message: { kind: 'block-response' as const, requestId: 999, blocks: [], committedHeight: 0 } },
    ];
    for (const input of inputs) {
      expect(() => leaderOfNext.core.step({ kind: 'message', ...input, nowMs: cluster.nowMs })).not.toThrow();
    }
    const rejections = leaderOfNext.core.status().rejections;
    expect(rejections['bad-signature']).toBeGreaterThanOrEqual(1);
    expect(rejections['unknown-validator']).toBeGreaterThanOrEqual(1);
    expect(rejections['stale-round']).toBeGreaterThanOrEqual(1);
    expect(rejections['far-future-round']).toBeGreaterThanOrEqual(1);
    expect(rejections['unsolicited']).toBeGreaterThanOrEqual(1);
  });

});
