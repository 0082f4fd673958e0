/**
 * A proposal states only a ledger height its own chain proves committed (docs/consensus.md,
 * "Ledger heights a proposal may state"; found by a 30-minute chaos run, issue 13).
 *
 * Two validators commit block B through a QC that the other two never see, and the chain then
 * leaves the block that QC certified. Had the two stated B's height in their proposals, the
 * other two could never check those (they cannot commit B without a two-chain they will never
 * see), and with leaders alternating between the two pairs no two consecutive rounds would
 * ever be certified again: a permanent stall. With the cap, every validator commits on.
 */
import { describe, expect, it } from 'vitest';
import type { ConsensusMessage } from '../../consensus/messages.js';
import { LockstepCluster, expectIdenticalPrefixes, minCommitted } from './support/lockstep-cluster.js';

/** The rounds of every quorum certificate a message carries, wherever it sits in it. */
function certificateRounds(message: ConsensusMessage): number[] {
  const rounds: number[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    const vote = record.vote as { round?: unknown } | undefined;
    if (Array.isArray(record.signatures) && vote !== undefined && typeof vote.round === 'number') rounds.push(vote.round);
    for (const member of Object.values(record)) visit(member);
  };
  visit(message);
  return rounds;
}

/** Runs the cluster under steady load (a few transactions every 100 ms) until `stop` or `durationMs` has passed. */
function runUnderLoad(cluster: LockstepCluster, durationMs: number, stop: () => boolean): void {
  const untilMs = cluster.nowMs + durationMs;
  let submitted = cluster.nodes[0]!.app.pending.length;
  while (cluster.nowMs < untilMs && !stop()) {
    for (let index = 0; index < 3; index++) cluster.submit(`tx-${submitted++}`);
    cluster.runUntil(cluster.nowMs + 100, stop);
  }
}

describe('the ledger height a proposal states', () => {
  it('is one its chain proves committed, so a QC that only two validators saw cannot stall the network', () => {
    const cluster = new LockstepCluster(4, { timings: { roundTimeoutBaseMs: 1_000, roundTimeoutMaxMs: 4_000 } });
    runUnderLoad(cluster, 20_000, () => minCommitted(cluster) >= 3);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(3);

    const leaderOf = (round: number): string => cluster.nodes[0]!.core.leaderOf(round);
    const currentRound = Math.max(...cluster.nodes.map((node) => node.core.status().round));
    // Round `split` + 1's QC will be seen by the leaders of rounds split + 2 and split + 4 only.
    const split = currentRound + 2;
    const ahead = [leaderOf(split + 2), leaderOf(split + 4)];
    const behind = [leaderOf(split + 1), leaderOf(split + 3)];
    expect(new Set([...ahead, ...behind]).size).toBe(4);

    // The network loses every message to the two behind that carries the QC of round split + 1.
    // The leader of split + 2, which formed it, reaches the other one ahead only once that one
    // has timed out round split + 2 (its proposal overtaken by the timeouts); so the TC of
    // split + 2 reports split as its highest QC round, and the chain leaves the block certified
    // in split + 1. The two ahead have committed the block of round split; the two behind never
    // see the two-chain that commits it.
    let heldBack: ConsensusMessage | undefined;
    let released = false;
    let splitGap = 0;
    const committedAt = (id: string): number => cluster.node(id).committed.length;
    const otherAhead = cluster.node(ahead[1]!);
    cluster.dropRule = (envelope) => {
      splitGap = Math.max(splitGap, Math.min(...ahead.map(committedAt)) - Math.max(...behind.map(committedAt)));
      if (!released && otherAhead.core.status().round >= split + 3 && heldBack !== undefined) {
        released = true;
        cluster.injectNext(ahead[0]!, ahead[1]!, heldBack);
      }
      if (!certificateRounds(envelope.message).includes(split + 1) || envelope.to === envelope.from) return false;
      if (envelope.to === ahead[1] && !released) {
        if (envelope.message.kind === 'proposal') heldBack = envelope.message;
        return true;
      }
      return behind.includes(envelope.to);
    };
    runUnderLoad(cluster, 30_000, () => splitGap > 0);
    expect(released).toBe(true);
    expect(splitGap).toBeGreaterThan(0);
    const splitHeight = Math.max(...ahead.map(committedAt));

    // Everyone goes on committing, the two behind included, on one chain.
    runUnderLoad(cluster, 120_000, () => minCommitted(cluster) >= splitHeight + 10);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(splitHeight + 10);
    expectIdenticalPrefixes(cluster);
  });
});
