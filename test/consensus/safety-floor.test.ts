/**
 * Safety state never moves backwards (issue 13; docs/consensus.md section 3): a validator whose
 * consensus store rolled back (a truncated log, a restored backup) restarts with its safety
 * state raised to the certificates its stores still hold, persists the raised state before it
 * signs anything, and never signs a second, different vote for a round it voted in.
 */
import { describe, expect, it } from 'vitest';
import { safetyAtLeastStores } from '../../consensus/core.js';
import { initialSafetyState } from '../../consensus/defaults.js';
import type { ConsensusOutput, SafetyState } from '../../consensus/types.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';
import { LockstepCluster, expectIdenticalPrefixes, minCommitted } from './support/lockstep-cluster.js';

function certificateOfRound(round: number): QuorumCertificate {
  return { vote: { blockHash: 'ab'.repeat(32), height: round, round }, signatures: [] };
}

/** Every vote a node sent, by round: a round with two different blocks is a double vote. */
function votedBlocksByRound(outputs: readonly ConsensusOutput[]): Map<number, Set<string>> {
  const byRound = new Map<number, Set<string>>();
  for (const output of outputs) {
    if (output.kind !== 'send' || output.message.kind !== 'vote') continue;
    const { round, blockHash } = output.message.vote;
    if (!byRound.has(round)) byRound.set(round, new Set());
    byRound.get(round)!.add(blockHash);
  }
  return byRound;
}

describe('the safety state on start', () => {
  it('is raised to the highest certified round, the lock with it, and the timeout round to the TC', () => {
    const stored: SafetyState = { ...initialSafetyState(), lastVotedRound: 5803, lockedRound: 5801, highestTimeoutRound: 12 };
    const raised = safetyAtLeastStores(stored, { certificates: [certificateOfRound(5821), null, certificateOfRound(5810)], highTc: null });
    expect(raised).toMatchObject({ lastVotedRound: 5821, lockedRound: 5821, highestTimeoutRound: 12 });
    const withTimeout = safetyAtLeastStores(stored, { certificates: [certificateOfRound(5700)], highTc: { round: 5900, highQc: null, signatures: [] } });
    expect(withTimeout).toMatchObject({ lastVotedRound: 5900, lockedRound: 5801, highestTimeoutRound: 5900 });
  });

  it('is left as it is (the same object) when the stores show nothing above it', () => {
    const stored: SafetyState = { ...initialSafetyState(), lastVotedRound: 40, lockedRound: 39, highestTimeoutRound: 0 };
    expect(safetyAtLeastStores(stored, { certificates: [certificateOfRound(39), null], highTc: null })).toBe(stored);
  });

  it('after a rollback of the consensus store, is raised and persisted before anything is signed, and no round gets a second vote', () => {
    const cluster = new LockstepCluster(4);
    const early: SafetyState[] = [];
    const watched = cluster.node('validator-1');
    for (let index = 0; index < 12; index++) cluster.submit(`tx-${index}`);
    cluster.runUntil(cluster.nowMs + 4_000, () => {
      if (watched.disk.safety !== undefined && early.length === 0 && watched.disk.safety.lastVotedRound >= 2) early.push(watched.disk.safety);
      return minCommitted(cluster) >= 10;
    });
    expect(early).toHaveLength(1);
    const before = watched.disk.safety!;
    expect(before.lastVotedRound).toBeGreaterThan(early[0]!.lastVotedRound);

    cluster.crash('validator-1');
    // The safety record rolls back; the certificates on disk and in the ledger remain.
    watched.disk.safety = early[0]!;
    const outputsBefore = watched.outputs.length;
    cluster.restart('validator-1');
    const restartOutputs = watched.outputs.slice(outputsBefore);
    expect(watched.core.safetyRaisedFrom).toEqual(early[0]);
    expect(watched.core.safetyState.lastVotedRound).toBeGreaterThanOrEqual(before.lastVotedRound - 1);
    const firstPersist = restartOutputs.find((output) => output.kind === 'persist');
    expect(firstPersist?.kind === 'persist' && firstPersist.safety?.lastVotedRound).toBe(watched.core.safetyState.lastVotedRound);
    // Nothing is signed in the restart step before the raised state is persisted.
    const firstSend = restartOutputs.findIndex((output) => output.kind === 'send' || output.kind === 'broadcast');
    if (firstSend !== -1) expect(restartOutputs.indexOf(firstPersist!)).toBeLessThan(firstSend);

    const committedBefore = minCommitted(cluster);
    const later = Array.from({ length: 12 }, (_, index) => `tx-${12 + index}`);
    for (const transaction of later) cluster.submit(transaction);
    const laterCommittedEverywhere = () => cluster.nodes.every((node) => later.every((transaction) => node.app.committed.includes(transaction)));
    cluster.runUntil(cluster.nowMs + 10_000, laterCommittedEverywhere);
    expect(laterCommittedEverywhere()).toBe(true);
    expect(minCommitted(cluster)).toBeGreaterThan(committedBefore);
    for (const [round, blocks] of votedBlocksByRound(watched.outputs)) expect(blocks.size, `round ${round}`).toBe(1);
    expectIdenticalPrefixes(cluster);
  });
});
