import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { proposalDigest, type ProposalMessage } from '../../consensus/messages.js';
import { verifyQuorumCertificate } from '../../ledger/model/certificate.js';
import { ValidatorSet } from '../../ledger/model/validator-set.js';
import type { ConsensusOutput } from '../../consensus/types.js';
import { expectIdenticalPrefixes, LockstepCluster, minCommitted, type LockstepNode } from './support/lockstep-cluster.js';

const ids = (count: number) => Array.from({ length: count }, (_, index) => `validator-${index}`);

function setOf(cluster: LockstepCluster, members: readonly string[]): ValidatorSet {
  const created = ValidatorSet.create(members.map((id) => cluster.member(id)));
  if (!created.ok) throw new Error(created.message);
  return created.set;
}

/** Submits a transaction every few hundred milliseconds of virtual time while running. */
function runWithLoad(cluster: LockstepCluster, untilMs: number, stop: () => boolean, label: string): string[] {
  const submitted: string[] = [];
  while (cluster.nowMs < untilMs && !stop()) {
    const transaction = `${label}-${submitted.length}`;
    submitted.push(transaction);
    cluster.submit(transaction);
    cluster.runUntil(cluster.nowMs + 300, stop);
  }
  return submitted;
}

function signersOf(node: LockstepNode, height: number): string[] {
  return node.committed[height - 1]!.certificate.signatures.map((signature) => signature.validator);
}

/** Outputs before the node's epoch output (all of them if it never changed epoch). */
function outputsBeforeEpoch(node: LockstepNode): ConsensusOutput[] {
  const index = node.outputs.findIndex((output) => output.kind === 'epoch');
  return index === -1 ? node.outputs : node.outputs.slice(0, index);
}

describe.each([
  { execution: 'at once', deferExecution: false },
  { execution: 'lagging behind commits', deferExecution: true },
])('validator-set epochs, execution $execution: a scheduled change hands over at one block on every validator', ({ deferExecution }) => {
  it('adds a fifth validator: the old set certifies up to the hand-over block, the new one after it, and the newcomer votes only then', () => {
    const cluster = new LockstepCluster(4, { observers: 1, deferExecution });
    const startHeight = 15;
    cluster.scheduleChange({ approvedAtHeight: 3, startHeight, members: ids(5) });
    const submitted = runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster) >= 40, 'tx');

    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(40);
    expectIdenticalPrefixes(cluster);
    const reference = cluster.node('validator-0');
    const oldSet = setOf(cluster, ids(4));
    const newSet = setOf(cluster, ids(5));
    for (const [index, committed] of reference.committed.entries()) {
      const header = committed.block.header;
      const height = index + 1;
      expect(header.height).toBe(height);
      if (height > 1) expect(header.prevHash).toBe(blockHash(reference.committed[index - 1]!.block.header));
      expect(header.nextValidators !== undefined).toBe(height === startHeight - 1);
      const [set, epoch] = height < startHeight ? [oldSet, 0] : [newSet, 1];
      expect(verifyQuorumCertificate(committed.certificate, set, cluster.chain.chainId, epoch)).toEqual({ ok: true });
      // Signatures are bound to their epoch: the same certificate fails under the other one.
      expect(verifyQuorumCertificate(committed.certificate, set, cluster.chain.chainId, 1 - epoch).ok).toBe(false);
    }
    expect(reference.committed[startHeight - 2]!.block.header.nextValidators).toEqual(ids(5).map((id) => cluster.member(id)));

    for (const node of cluster.nodes) {
      const epochs = node.outputs.filter((output) => output.kind === 'epoch');
      expect(epochs).toHaveLength(1);
      expect(epochs[0]).toMatchObject({ kind: 'epoch', number: 1, startHeight, validators: ids(5).map((id) => cluster.member(id)), member: true });
      expect(node.core.status()).toMatchObject({ epoch: 1, member: true });
      // What proved the hand-over: blocks past it, the first extending it, ending in a two-chain (or
      // certified by the new set). They are persisted before the last block goes to the ledger, so a
      // crash before it is executed (or before the switch) cannot lose them.
      const kept = node.outputs.findIndex((output) => output.kind === 'persist' && output.handOverProof !== undefined);
      const committedLast = node.outputs.findIndex((output) => output.kind === 'commit' && output.blocks.some((entry) => entry.block.header.height === startHeight - 1));
      expect(kept).toBeGreaterThanOrEqual(0);
      expect(kept).toBeLessThan(committedLast);
      const keptOutput = node.outputs[kept]!;
      const { height: provedHeight, blocks: proof } = keptOutput.kind === 'persist' && keptOutput.handOverProof !== undefined ? keptOutput.handOverProof : { height: 0, blocks: [] };
      expect(provedHeight).toBe(startHeight - 1);
      expect(node.handOvers.get(startHeight - 1)).toEqual(proof);
      expect(proof[0]!.block.header.prevHash).toBe(blockHash(reference.committed[startHeight - 2]!.block.header));
      expect(proof.every((entry) => entry.block.header.txCount === 0 || entry.block.header.round === 1)).toBe(true);
    }
    const newcomer = cluster.node('validator-4');
    const signedBefore = outputsBeforeEpoch(newcomer).filter(
      (output) => (output.kind === 'send' || output.kind === 'broadcast') && ['vote', 'timeout', 'proposal'].includes(output.message.kind),
    );
    expect(signedBefore).toEqual([]);
    const heights = reference.committed.map((committed) => committed.block.header.height).filter((height) => height >= startHeight);
    expect(heights.some((height) => signersOf(reference, height).includes('validator-4'))).toBe(true);

    // Every transaction committed exactly once, across the hand-over (blocks past the old epoch's end stay empty and uncommitted).
    const committedTransactions = reference.app.committed;
    expect(new Set(committedTransactions).size).toBe(committedTransactions.length);
    const committedSet = new Set(committedTransactions);
    const lastProposed = submitted.slice(0, -10);
    for (const transaction of lastProposed) expect(committedSet.has(transaction)).toBe(true);
  });

  it('removes a validator: the leaver stops signing and the remaining four carry on', () => {
    const cluster = new LockstepCluster(5, { deferExecution });
    const startHeight = 14;
    cluster.scheduleChange({ approvedAtHeight: 2, startHeight, members: ids(4) });
    runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster, ids(4)) >= 35, 'tx');
    expect(minCommitted(cluster, ids(4))).toBeGreaterThanOrEqual(35);
    expectIdenticalPrefixes(cluster);
    const leaver = cluster.node('validator-4');
    expect(leaver.core.status()).toMatchObject({ epoch: 1, member: false });
    const reference = cluster.node('validator-0');
    for (let height = startHeight; height <= 35; height++) {
      expect(signersOf(reference, height)).not.toContain('validator-4');
      expect(verifyQuorumCertificate(reference.committed[height - 1]!.certificate, setOf(cluster, ids(4)), cluster.chain.chainId, 1)).toEqual({ ok: true });
    }
    const afterEpoch = leaver.outputs.slice(leaver.outputs.findIndex((output) => output.kind === 'epoch'));
    expect(afterEpoch.filter((output) => (output.kind === 'send' || output.kind === 'broadcast') && ['vote', 'timeout', 'proposal'].includes(output.message.kind))).toEqual([]);
  });

  it('a validator that was down across the hand-over catches up through it from committed blocks and votes in the new epoch', () => {
    const cluster = new LockstepCluster(4, { observers: 1, deferExecution, limits: { recentCommittedBlocksKept: 4, blocksPerResponseMax: 8 } });
    const startHeight = 16;
    cluster.scheduleChange({ approvedAtHeight: 4, startHeight, members: ids(5) });
    cluster.crash('validator-3');
    const live = ['validator-0', 'validator-1', 'validator-2', 'validator-4'];
    runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster, live) >= 40, 'before');
    expect(cluster.node('validator-3').committed.length).toBe(0);
    cluster.restart('validator-3');
    const target = Math.max(...cluster.nodes.map((node) => node.committed.length)) + 5;
    runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster) >= target, 'after');
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(target);
    expectIdenticalPrefixes(cluster);
    const returning = cluster.node('validator-3');
    expect(returning.core.status()).toMatchObject({ epoch: 1, member: true });
    const caughtUp = minCommitted(cluster) + 10;
    runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster) >= caughtUp, 'later');
    const votes = returning.outputs.filter((output) => output.kind === 'send' && output.message.kind === 'vote');
    expect(votes.length).toBeGreaterThan(0);
  });

  it('a validator restarted right after the hand-over resumes in the new epoch from its ledger', () => {
    const cluster = new LockstepCluster(4, { observers: 1, deferExecution });
    const startHeight = 13;
    cluster.scheduleChange({ approvedAtHeight: 2, startHeight, members: ids(5) });
    runWithLoad(cluster, cluster.nowMs + 300_000, () => cluster.node('validator-1').core.status().epoch === 1, 'before');
    cluster.crash('validator-1');
    cluster.restart('validator-1');
    expect(cluster.node('validator-1').core.status()).toMatchObject({ epoch: 1, member: true });
    const target = minCommitted(cluster) + 10;
    runWithLoad(cluster, cluster.nowMs + 300_000, () => minCommitted(cluster) >= target, 'after');
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(target);
    expectIdenticalPrefixes(cluster);
  });
});

/** Holds back every copy of the first proposal at `height`, and returns it once seen. */
function captureProposalAt(cluster: LockstepCluster, height: number): ProposalMessage {
  let captured: ProposalMessage | undefined;
  cluster.dropRule = (envelope) => {
    if (envelope.message.kind !== 'proposal' || envelope.message.block.header.height !== height) return false;
    captured ??= envelope.message;
    return envelope.message === captured;
  };
  runWithLoad(cluster, cluster.nowMs + 60_000, () => captured !== undefined, 'tx');
  expect(captured).toBeDefined();
  return captured!;
}

/** The captured proposal with another header and payload, signed again by its proposer (a Byzantine leader). */
function forge(cluster: LockstepCluster, original: ProposalMessage, header: BlockHeader, payload = original.block.payload): ProposalMessage {
  const proposerSeed = cluster.chain.validatorKeys[cluster.chain.validators.get(header.proposer)!.index]!.seed;
  return { ...original, block: { header, payload }, signature: toHex(signFor('proposal', cluster.chain.chainId, proposerSeed, proposalDigest(blockHash(header), payload))) };
}

function expectRefusedWithoutVote(cluster: LockstepCluster, target: LockstepNode, proposal: ProposalMessage): void {
  const outputs = target.core.step({ kind: 'message', from: proposal.block.header.proposer, message: proposal, nowMs: cluster.nowMs });
  expect(target.core.status().rejections['bad-epoch-boundary']).toBe(1);
  expect(outputs.some((output) => output.kind === 'send' && output.message.kind === 'vote')).toBe(false);
}

describe('validator-set epochs: the first rounds of the new epoch', () => {
  it('are not lost to validators that execute the hand-over a little later: they hold the new epoch\'s messages until they enter it', () => {
    const late = ['validator-2', 'validator-3'];
    const cluster = new LockstepCluster(4, { observers: 1, deferExecution: true });
    const startHeight = 13;
    cluster.scheduleChange({ approvedAtHeight: 2, startHeight, members: ids(5) });
    for (const id of late) cluster.executionLimits.set(id, startHeight - 2);
    const early = cluster.nodes.filter((node) => !late.includes(node.id));
    runWithLoad(cluster, cluster.nowMs + 60_000, () => early.every((node) => node.core.status().epoch === 1) && cluster.node('validator-1').core.status().round >= 1, 'tx');
    // The early three are in epoch 1 (a quorum there is 4 of 5): round 1's proposal reached the late two while they were still in epoch 0.
    cluster.runUntil(cluster.nowMs + 2000, () => late.every((id) => (cluster.node(id).core.status().rejections['future-epoch'] ?? 0) > 0));
    for (const id of late) {
      expect(cluster.node(id).core.status().epoch).toBe(0);
      expect(cluster.node(id).core.status().rejections['future-epoch']).toBeGreaterThan(0);
      cluster.executionLimits.delete(id);
    }
    runWithLoad(cluster, cluster.nowMs + 60_000, () => minCommitted(cluster) >= startHeight + 2, 'more');
    expectIdenticalPrefixes(cluster);
    // They voted on it once they entered the epoch, so round 1 was not lost.
    expect(cluster.node('validator-0').committed[startHeight - 1]!.block.header.round).toBe(1);
  });
});

describe('validator-set epochs: what a voter refuses at the boundary', () => {
  it('refuses an epoch-ending block that leaves out the scheduled set or names another one', () => {
    const cluster = new LockstepCluster(4, { observers: 1 });
    const startHeight = 13;
    cluster.scheduleChange({ approvedAtHeight: 2, startHeight, members: ids(5) });
    const original = captureProposalAt(cluster, startHeight - 1);
    expect(original.block.header.nextValidators).toEqual(ids(5).map((id) => cluster.member(id)));
    const voters = cluster.nodes.filter((node) => node.id !== original.block.header.proposer && node.id !== 'validator-4');
    const { nextValidators: _named, ...withoutSet } = original.block.header;
    expectRefusedWithoutVote(cluster, voters[0]!, forge(cluster, original, withoutSet));
    expectRefusedWithoutVote(cluster, voters[1]!, forge(cluster, original, { ...original.block.header, nextValidators: ids(4).map((id) => cluster.member(id)) }));
  });

  it('refuses a block past the end of the epoch that carries transactions', () => {
    const cluster = new LockstepCluster(4, { observers: 1, deferExecution: true });
    const startHeight = 13;
    cluster.scheduleChange({ approvedAtHeight: 2, startHeight, members: ids(5) });
    const original = captureProposalAt(cluster, startHeight);
    expect(original.block.header.txCount).toBe(0);
    const payload = utf8(JSON.stringify(['smuggled']));
    const header = { ...original.block.header, txCount: 1, txRoot: toHex(sha256(payload)) };
    const voter = cluster.nodes.find((node) => node.id !== header.proposer && node.id !== 'validator-4')!;
    expectRefusedWithoutVote(cluster, voter, forge(cluster, original, header, payload));
  });
});
