/**
 * A lost safety record (issue 13; docs/consensus.md section 3, "A lost safety record"): a
 * validator whose consensus store is gone while its ledger survives signs nothing until 2f + 1
 * other validators have shown it certificates, then signs only above the highest round they
 * show plus 2, with its lock at least their highest QC, persisted before its first signature.
 */
import { describe, expect, it } from 'vitest';
import { safetyRecordWasLost } from '../../consensus/core.js';
import { initialSafetyState } from '../../consensus/defaults.js';
import type { ConsensusOutput } from '../../consensus/types.js';
import type { UnsafeTestSwitches } from '../../consensus/types.js';
import { proposalDigest, type ProposalMessage } from '../../consensus/messages.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { blockHash } from '../../ledger/model/block.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';
import { SafetyCheckers } from '../../tools/sim/checkers.js';
import { LockstepCluster, expectIdenticalPrefixes, minCommitted } from './support/lockstep-cluster.js';

type Signed = { kind: 'vote' | 'timeout' | 'proposal'; round: number; content: string };

/** Everything a node signed, as (kind, round, what): two different contents for one kind and round is a double signature. */
function signedMessages(outputs: readonly ConsensusOutput[]): Signed[] {
  const signed: Signed[] = [];
  for (const output of outputs) {
    if (output.kind !== 'send' && output.kind !== 'broadcast') continue;
    const message = output.message;
    if (message.kind === 'vote') signed.push({ kind: 'vote', round: message.vote.round, content: message.vote.blockHash });
    if (message.kind === 'timeout') signed.push({ kind: 'timeout', round: message.round, content: message.signature });
    if (message.kind === 'proposal') signed.push({ kind: 'proposal', round: message.block.header.round, content: message.signature });
  }
  return signed;
}

function expectNoDoubleSignature(outputs: readonly ConsensusOutput[]): void {
  const byKey = new Map<string, Set<string>>();
  for (const entry of signedMessages(outputs)) {
    const key = `${entry.kind}@${entry.round}`;
    if (!byKey.has(key)) byKey.set(key, new Set());
    byKey.get(key)!.add(entry.content);
  }
  for (const [key, contents] of byKey) expect(contents.size, key).toBe(1);
}

/** Runs a loaded 4-validator cluster, then crashes validator-1 and restarts it with its consensus store gone. */
function clusterWithLostStore(options: { dropFrom?: string } = {}) {
  const cluster = new LockstepCluster(4);
  for (let index = 0; index < 12; index++) cluster.submit(`tx-${index}`);
  cluster.runUntil(cluster.nowMs + 5_000, () => minCommitted(cluster) >= 8);
  const watched = cluster.node('validator-1');
  const lostState = watched.disk.safety!;
  expect(lostState.lastVotedRound).toBeGreaterThan(2);
  cluster.crash('validator-1');
  if (options.dropFrom !== undefined) {
    const dropFrom = options.dropFrom;
    cluster.dropRule = (envelope) => envelope.from === dropFrom && envelope.to === 'validator-1';
  }
  const outputsBefore = watched.outputs.length;
  cluster.restart('validator-1', { consensusStoreLost: true });
  return { cluster, watched, lostState, outputsBefore };
}

describe('a lost safety record', () => {
  it('is told apart from a record never written', () => {
    const nothing = { blocks: [], highQc: null, highTc: null };
    expect(safetyRecordWasLost({ safety: undefined, ledgerHeight: 0, ...nothing })).toBe(false);
    expect(safetyRecordWasLost({ safety: undefined, ledgerHeight: 12, ...nothing })).toBe(true);
    const certificate: QuorumCertificate = { vote: { blockHash: 'ab'.repeat(32), height: 1, round: 1 }, signatures: [] };
    expect(safetyRecordWasLost({ safety: undefined, ledgerHeight: 0, blocks: [], highQc: certificate, highTc: null })).toBe(true);
    expect(safetyRecordWasLost({ safety: initialSafetyState(), ledgerHeight: 12, ...nothing })).toBe(false);
  });

  it('holds every signature until 2f + 1 others have shown certificates, then signs only above what they show, persisted first', () => {
    const { cluster, watched, lostState, outputsBefore } = clusterWithLostStore();
    expect(watched.core.status().safetyRecovery).toEqual({ peersHeard: 0, peersNeeded: 3 });
    // The hold starts from nothing: the record is gone.
    expect(watched.core.safetyState.lastVotedRound).toBeLessThan(lostState.lastVotedRound);

    for (let index = 12; index < 40; index++) cluster.submit(`tx-${index}`);
    cluster.runUntil(cluster.nowMs + 20_000, () => watched.core.status().safetyRecovery === null && minCommitted(cluster) >= 30);
    const recovered = watched.core.safetyRecovered!;
    expect(recovered).toBeDefined();
    expect(recovered.peers).toEqual(['validator-0', 'validator-2', 'validator-3']);
    // The floor covers every round the validator had signed in before the loss.
    expect(recovered.round).toBeGreaterThanOrEqual(lostState.lastVotedRound);
    expect(recovered.lockedRound).toBeGreaterThanOrEqual(lostState.lockedRound);

    // The released state is persisted before anything is signed, and every signature is above the floor.
    const afterRestart = watched.outputs.slice(outputsBefore);
    const release = afterRestart.findIndex((output) => output.kind === 'persist' && output.safety !== undefined && output.safety.lastVotedRound >= recovered.round);
    expect(release).toBeGreaterThan(-1);
    expect(signedMessages(afterRestart.slice(0, release))).toEqual([]);
    const signedAfter = signedMessages(afterRestart.slice(release));
    expect(signedAfter.length).toBeGreaterThan(0);
    for (const entry of signedAfter) expect(entry.round).toBeGreaterThan(recovered.round);

    expectNoDoubleSignature(watched.outputs);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(30);
    expectIdenticalPrefixes(cluster);
  });

  it('does not count one peer twice, nor 2f peers as a quorum: with one peer silent it stays held, and releases once that peer speaks', () => {
    const { cluster, watched, outputsBefore } = clusterWithLostStore({ dropFrom: 'validator-3' });
    for (let index = 12; index < 30; index++) cluster.submit(`tx-${index}`);
    cluster.runUntil(cluster.nowMs + 8_000);
    expect(watched.core.status().safetyRecovery).toEqual({ peersHeard: 2, peersNeeded: 3 });
    expect(watched.core.safetyRecovered).toBeUndefined();
    expect(signedMessages(watched.outputs.slice(outputsBefore))).toEqual([]);
    // The other three keep committing without it (3 of 4 is a quorum).
    const committedWhileHeld = minCommitted(cluster, ['validator-0', 'validator-2', 'validator-3']);
    expect(committedWhileHeld).toBeGreaterThan(8);

    cluster.dropRule = () => false;
    cluster.runUntil(cluster.nowMs + 8_000, () => watched.core.status().safetyRecovery === null);
    expect(watched.core.safetyRecovered?.peers).toEqual(['validator-0', 'validator-2', 'validator-3']);
    expectNoDoubleSignature(watched.outputs);
  });

  it('recovers on an idle network too: peers answer its requests for their certificates', () => {
    const cluster = new LockstepCluster(4, { timings: { idleProposalDelayMs: 600_000 } });
    for (let index = 0; index < 6; index++) cluster.submit(`tx-${index}`);
    cluster.runUntil(cluster.nowMs + 5_000, () => minCommitted(cluster) >= 3 && cluster.nodes.every((node) => !node.app.hasPendingTransactions([])));
    const watched = cluster.node('validator-1');
    cluster.crash('validator-1');
    const outputsAtRestart = watched.outputs.length;
    cluster.restart('validator-1', { consensusStoreLost: true });
    // No transactions and a heartbeat far away: only the requests bring answers.
    cluster.runUntil(cluster.nowMs + 5_000, () => watched.core.status().safetyRecovery === null);
    expect(watched.core.status().safetyRecovery).toBeNull();
    const requests = watched.outputs.slice(outputsAtRestart).filter((output) => output.kind === 'broadcast' && output.message.kind === 'sync-info' && output.message.request === true);
    expect(requests.length).toBeGreaterThan(0);
    // Each request is answered at most once per peer per syncRequestTimeoutMs: no storm of answers.
    for (const peer of ['validator-0', 'validator-2', 'validator-3']) {
      const answers = cluster.node(peer).outputs.filter((output) => output.kind === 'send' && output.to === 'validator-1' && output.message.kind === 'sync-info');
      expect(answers.length).toBeLessThanOrEqual(requests.length);
    }
  });

  it('ignores a certificate that does not verify', () => {
    const { cluster, watched } = clusterWithLostStore({ dropFrom: 'validator-3' });
    const forged: QuorumCertificate = { vote: { blockHash: 'cd'.repeat(32), height: 500, round: 10_000 }, signatures: [{ validator: 'validator-3', signature: '00'.repeat(64) }] };
    watched.core.step({ kind: 'message', from: 'validator-3', message: { kind: 'sync-info', highQc: forged, highTc: null }, nowMs: cluster.nowMs, epoch: 0 });
    expect(watched.core.status().safetyRecovery?.peersHeard).toBe(0);
    cluster.runUntil(cluster.nowMs + 3_000);
    expect(watched.core.status().safetyRecovery?.peersHeard).toBe(2);
  });
});

/**
 * The attack the hold exists for: validator-1 votes in round R, loses its consensus store and
 * restarts; the leader of R (Byzantine) then sends it a second, different proposal for R. The
 * simulator's checker (tools/sim/checkers.ts) sees every vote validator-1 signs.
 */
function equivocationAfterLostStore(switches: UnsafeTestSwitches): SafetyCheckers {
  const cluster = new LockstepCluster(4, { switches });
  const checkers = new SafetyCheckers(cluster.chain.genesisHash);
  const watched = cluster.node('validator-1');
  let index = 0;
  // Run until validator-1's last vote is in a round led by another validator, whose proposal we can forge.
  cluster.runUntil(cluster.nowMs + 20_000, () => {
    cluster.submit(`tx-${index++}`);
    const lastVote = watched.disk.safety?.lastVote;
    return minCommitted(cluster) >= 5 && lastVote !== null && lastVote !== undefined && cluster.node('validator-0').core.leaderOf(lastVote.round) !== 'validator-1';
  });
  const lastVote = watched.disk.safety!.lastVote!;
  const leader = cluster.node('validator-0').core.leaderOf(lastVote.round);
  const original = cluster
    .node(leader)
    .outputs.flatMap((output) => (output.kind === 'broadcast' && output.message.kind === 'proposal' && output.message.block.header.round === lastVote.round ? [output.message] : []))[0]!;
  expect(blockHash(original.block.header)).toBe(lastVote.blockHash);
  const header = { ...original.block.header, timestamp: original.block.header.timestamp + 1 };
  const leaderSeed = cluster.chain.validatorKeys[cluster.chain.validators.get(leader)!.index]!.seed;
  const forged: ProposalMessage = { ...original, block: { ...original.block, header }, signature: toHex(signFor('proposal', cluster.chain.chainId, leaderSeed, proposalDigest(blockHash(header), original.block.payload))) };

  cluster.crash('validator-1');
  // Only the Byzantine leader reaches validator-1 (with its forgery and the blocks it asks for).
  cluster.dropRule = (envelope) => !((envelope.from === leader && envelope.to === 'validator-1') || (envelope.from === 'validator-1' && envelope.to === leader && envelope.message.kind === 'block-request'));
  const outputsBefore = watched.outputs.length;
  cluster.restart('validator-1', { consensusStoreLost: true });
  cluster.inject(leader, 'validator-1', forged);
  cluster.runUntil(cluster.nowMs + 3_000);
  cluster.dropRule = () => false;
  cluster.runUntil(cluster.nowMs + 10_000, () => watched.core.status().safetyRecovery === null);

  const vote = (outputs: typeof watched.outputs) => outputs.flatMap((output) => (output.kind === 'send' && output.message.kind === 'vote' ? [output.message.vote] : []));
  for (const entry of vote(watched.outputs.slice(0, outputsBefore))) checkers.observeVote(0, 'validator-1', 0, entry);
  for (const entry of vote(watched.outputs.slice(outputsBefore))) checkers.observeVote(1, 'validator-1', 0, entry);
  return checkers;
}

describe('the hold after a lost record, against a leader that equivocates', () => {
  it('without the hold, the restarted validator signs a second vote for the round, and the checker finds it', () => {
    const checkers = equivocationAfterLostStore({ skipSafetyRecovery: true, skipSafetyFloor: true });
    expect(checkers.violations.some((violation) => violation.includes('double vote: validator-1'))).toBe(true);
  });

  it('with it, no second vote is signed', () => {
    const checkers = equivocationAfterLostStore({});
    expect(checkers.violations).toEqual([]);
  });
});
