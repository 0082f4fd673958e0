/**
 * Idle chains (docs/consensus.md, "Idle chains"): a network with nothing to order writes a block
 * only at the heartbeat (idleProposalDelayMs) and sends no timeouts; a transaction is proposed
 * at once, not at the next heartbeat; once it is committed the chain falls quiet again; and the
 * round timer runs only while there is work, so a crashed leader is still replaced, at once when
 * transactions wait and after the heartbeat when none do. All in virtual time (LockstepCluster).
 */
import { describe, expect, it } from 'vitest';
import type { ConsensusOutput } from '../../consensus/types.js';
import { expectIdenticalPrefixes, LockstepCluster, minCommitted } from './support/lockstep-cluster.js';

const HEARTBEAT_MS = 30_000;
const ROUND_TIMEOUT_MS = 3_000;

function idleCluster(size = 4): LockstepCluster {
  return new LockstepCluster(size, { timings: { idleProposalDelayMs: HEARTBEAT_MS, roundTimeoutBaseMs: ROUND_TIMEOUT_MS } });
}

function timeoutsSent(outputs: readonly ConsensusOutput[]): number {
  return outputs.filter((output) => (output.kind === 'broadcast' || output.kind === 'send') && output.message.kind === 'timeout').length;
}

function proposalsSent(outputs: readonly ConsensusOutput[]): number {
  return outputs.filter((output) => output.kind === 'broadcast' && output.message.kind === 'proposal').length;
}

function highestCommitted(cluster: LockstepCluster): number {
  return Math.max(...cluster.nodes.map((node) => node.committed.length));
}

describe('an idle chain', () => {
  it('writes blocks only at the heartbeat, and sends no timeouts', () => {
    const cluster = idleCluster();
    const started = cluster.nowMs;
    cluster.runUntil(started + 10 * HEARTBEAT_MS);
    const proposals = cluster.nodes.reduce((sum, node) => sum + proposalsSent(node.outputs), 0);
    // One proposal per heartbeat, not one per second: ten heartbeats, ten blocks (give or take the edges).
    expect(proposals).toBeGreaterThanOrEqual(8);
    expect(proposals).toBeLessThanOrEqual(11);
    for (const node of cluster.nodes) expect(timeoutsSent(node.outputs)).toBe(0);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(6);
    expectIdenticalPrefixes(cluster);
  });

  it('proposes a transaction at once rather than at the next heartbeat, then falls quiet again', () => {
    const cluster = idleCluster();
    cluster.runUntil(cluster.nowMs + HEARTBEAT_MS / 2);
    expect(highestCommitted(cluster)).toBe(0);
    const submittedAt = cluster.nowMs;
    const proposalsAtSubmission = cluster.nodes.reduce((sum, node) => sum + proposalsSent(node.outputs), 0);
    cluster.submit('tx-1');
    cluster.runUntil(submittedAt + HEARTBEAT_MS, () => cluster.nodes.every((node) => node.app.committed.includes('tx-1')));
    // Committed within a few message rounds of virtual time, long before the heartbeat was due.
    expect(cluster.nowMs - submittedAt).toBeLessThan(HEARTBEAT_MS / 10);
    // Two blocks: the transaction's and its child, whose QC commits it. That QC reaches every
    // validator in a sync-info, not in a third, empty block.
    const proposalsBefore = cluster.nodes.reduce((sum, node) => sum + proposalsSent(node.outputs), 0);
    expect(proposalsBefore - proposalsAtSubmission).toBe(2);
    expect(highestCommitted(cluster)).toBe(1);
    cluster.runUntil(cluster.nowMs + HEARTBEAT_MS / 2);
    expect(cluster.nodes.reduce((sum, node) => sum + proposalsSent(node.outputs), 0)).toBeLessThanOrEqual(proposalsBefore + 1);
    for (const node of cluster.nodes) expect(timeoutsSent(node.outputs)).toBe(0);
  });

  it('replaces a crashed leader at once when transactions wait', () => {
    const cluster = idleCluster();
    cluster.submit('warm-up');
    cluster.runUntil(cluster.nowMs + HEARTBEAT_MS / 3, () => cluster.nodes.every((node) => node.app.committed.includes('warm-up')));
    cluster.runUntil(cluster.nowMs + 1000);
    // Crash whoever leads the next round, then submit: the others time that round out and go on.
    const round = cluster.node('validator-0').core.status().round;
    const leader = cluster.node('validator-0').core.leaderOf(round);
    cluster.crash(leader);
    const submittedAt = cluster.nowMs;
    cluster.submit('tx-after-crash');
    const alive = cluster.nodes.filter((node) => node.id !== leader);
    cluster.runUntil(submittedAt + HEARTBEAT_MS, () => alive.every((node) => node.app.committed.includes('tx-after-crash')));
    expect(alive.every((node) => node.app.committed.includes('tx-after-crash'))).toBe(true);
    // A round timeout or a few (backoff), never a heartbeat.
    expect(cluster.nowMs - submittedAt).toBeLessThan(HEARTBEAT_MS / 2);
    expect(alive.some((node) => timeoutsSent(node.outputs) > 0)).toBe(true);
  });

  it('replaces a crashed leader that misses the heartbeat, after the heartbeat and a round timeout', () => {
    const cluster = idleCluster();
    const round = cluster.node('validator-0').core.status().round;
    const leader = cluster.node('validator-0').core.leaderOf(round);
    cluster.crash(leader);
    const alive = cluster.nodes.filter((node) => node.id !== leader);
    cluster.runUntil(cluster.nowMs + HEARTBEAT_MS);
    for (const node of alive) expect(timeoutsSent(node.outputs)).toBe(0);
    cluster.runUntil(cluster.nowMs + 4 * HEARTBEAT_MS, () => minCommitted(cluster, alive.map((node) => node.id)) >= 1);
    expect(minCommitted(cluster, alive.map((node) => node.id))).toBeGreaterThanOrEqual(1);
    expect(alive.every((node) => timeoutsSent(node.outputs) > 0)).toBe(true);
  });

  it('times a round out when only a follower holds a transaction its leader lacks, without waiting for the heartbeat forever', () => {
    const cluster = idleCluster();
    const round = cluster.node('validator-0').core.status().round;
    const leader = cluster.node('validator-0').core.leaderOf(round);
    // Every validator but the leader holds it, as when the leader's relay link is down.
    cluster.submit('not-relayed-to-leader', cluster.nodes.filter((node) => node.id !== leader).map((node) => node.id));
    cluster.runUntil(cluster.nowMs + 3 * HEARTBEAT_MS, () => cluster.nodes.every((node) => node.id === leader || node.app.committed.includes('not-relayed-to-leader')));
    for (const node of cluster.nodes) if (node.id !== leader) expect(node.app.committed).toContain('not-relayed-to-leader');
    expectIdenticalPrefixes(cluster);
  });
});
