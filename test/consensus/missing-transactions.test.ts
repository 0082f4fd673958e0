/**
 * The consensus core and the 'missing-transactions' verdict (docs/consensus.md, "Payloads:
 * references, not bodies"), with real cores in the lockstep cluster and applications that lack
 * some transactions' bodies. Covers: a held proposal gets no vote; a 'transactions-arrived'
 * input checks it again and, once the application holds everything, the validator votes for it
 * (once); a leader whose transactions nobody else holds gets no votes, its round times out, and
 * the next leaders' blocks commit, never the withheld one.
 */
import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import type { ProposalMessage } from '../../consensus/messages.js';
import type { ConsensusOutput, ProposalCheck } from '../../consensus/types.js';
import { expectIdenticalPrefixes, LockstepCluster, minCommitted, type LockstepNode } from './support/lockstep-cluster.js';

const transactionsOf = (payload: Uint8Array): string[] => JSON.parse(new TextDecoder().decode(payload)) as string[];

/** Makes a node's application lack the bodies of `lacking` until `arrive` is called; records every check of a block carrying them. */
function withholdFrom(node: LockstepNode, lacking: ReadonlySet<string>) {
  const checks: Array<{ hash: string; verdict: ProposalCheck['verdict'] }> = [];
  const held = new Set<string>();
  const original = node.app.checkProposal.bind(node.app);
  node.app.checkProposal = (header: BlockHeader, payload: Uint8Array): ProposalCheck => {
    const missing = transactionsOf(payload).filter((transaction) => lacking.has(transaction) && !held.has(transaction));
    if (!transactionsOf(payload).some((transaction) => lacking.has(transaction))) return original(header, payload);
    const verdict: ProposalCheck = missing.length > 0 ? { verdict: 'missing-transactions' } : original(header, payload);
    checks.push({ hash: blockHash(header), verdict: verdict.verdict });
    return verdict;
  };
  return { checks, arrive: (transaction: string) => held.add(transaction) };
}

/** Carries out the commits of a step taken by hand, as the cluster's driver would: the ledger executes them. */
function executeCommits(node: LockstepNode, outputs: readonly ConsensusOutput[]): void {
  for (const output of outputs) {
    if (output.kind !== 'commit') continue;
    node.committed.push(...output.blocks);
    node.app.execute(output.blocks);
  }
}

const votesFor = (outputs: readonly ConsensusOutput[], hash: string) =>
  outputs.filter((output): output is Extract<ConsensusOutput, { kind: 'send' }> => output.kind === 'send' && output.message.kind === 'vote' && output.message.vote.blockHash === hash);

describe('a proposal whose transactions the application lacks', () => {
  it('gets no vote; transactions-arrived checks it again, and once every body is held the validator votes for it, once', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 3);
    // Capture the first proposal carrying 'secret' on its way to a validator other than its leader,
    // and cut that validator off from then on, so that it stays in the proposal's round.
    let captured: ProposalMessage | undefined;
    let target: string | undefined;
    cluster.dropRule = (envelope) => {
      if (target !== undefined) return envelope.to === target;
      const message = envelope.message;
      if (message.kind !== 'proposal' || !transactionsOf(message.block.payload).includes('secret') || envelope.to === message.block.header.proposer) return false;
      captured = message;
      target = envelope.to;
      return true;
    };
    cluster.submit('secret');
    cluster.runUntil(cluster.nowMs + 10_000, () => captured !== undefined);
    expect(captured).toBeDefined();
    const node = cluster.node(target!);
    const { checks, arrive } = withholdFrom(node, new Set(['secret']));
    const header = captured!.block.header;
    const hash = blockHash(header);

    const received = node.core.step({ kind: 'message', from: header.proposer, message: captured!, nowMs: cluster.nowMs });
    expect(checks).toEqual([{ hash, verdict: 'missing-transactions' }]);
    expect(votesFor(received, hash)).toEqual([]);
    expect(node.core.status().lastVotedRound).toBeLessThan(header.round);
    expect(node.core.status().rejections['application-rejected']).toBeUndefined();
    // The proposal's certificate may have committed blocks: the ledger executes them. A ledger
    // advance is not what the proposal waits for: it is not checked again.
    executeCommits(node, received);
    executeCommits(node, node.core.step({ kind: 'ledger-advanced', nowMs: cluster.nowMs }));
    expect(checks).toHaveLength(1);
    // The node says bodies arrived, but not these: checked again, still no vote.
    expect(votesFor(node.core.step({ kind: 'transactions-arrived', nowMs: cluster.nowMs }), hash)).toEqual([]);
    expect(checks.map((check) => check.verdict)).toEqual(['missing-transactions', 'missing-transactions']);

    arrive('secret');
    const voted = node.core.step({ kind: 'transactions-arrived', nowMs: cluster.nowMs });
    expect(checks.map((check) => check.verdict)).toEqual(['missing-transactions', 'missing-transactions', 'accept']);
    const votes = votesFor(voted, hash);
    expect(votes).toHaveLength(1);
    expect(votes[0]!.to).toBe(node.core.leaderOf(header.round + 1));
    expect(votes[0]!.message.kind === 'vote' && votes[0]!.message.vote.round).toBe(header.round);
    // The vote is persisted in the same step, before it leaves.
    expect(voted.find((output) => output.kind === 'persist')).toMatchObject({ safety: { lastVotedRound: header.round } });
    // Nothing is held any more: a further arrival checks nothing and votes no more.
    expect(votesFor(node.core.step({ kind: 'transactions-arrived', nowMs: cluster.nowMs }), hash)).toEqual([]);
    expect(checks).toHaveLength(3);
  });

  it('is dropped, not voted for, when its bodies arrive only after the round has ended', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 3);
    const target = cluster.nodes.find((node) => node.id === 'validator-2')!;
    const { checks, arrive } = withholdFrom(target, new Set(['late']));
    cluster.submit('late');
    // The others certify and commit it without validator-2's vote.
    cluster.runUntil(cluster.nowMs + 20_000, () => cluster.nodes.every((node) => node.app.committed.includes('late')));
    expect(cluster.nodes.every((node) => node.app.committed.includes('late'))).toBe(true);
    const heldHash = checks[0]!.hash;
    expect(checks[0]!.verdict).toBe('missing-transactions');
    expect(target.outputs.some((output) => output.kind === 'send' && output.message.kind === 'vote' && output.message.vote.blockHash === heldHash)).toBe(false);
    arrive('late');
    const outputs = target.core.step({ kind: 'transactions-arrived', nowMs: cluster.nowMs });
    expect(votesFor(outputs, heldHash)).toEqual([]);
    expectIdenticalPrefixes(cluster);
  });
});

describe('a leader proposing transactions no other validator holds', () => {
  it('gets no votes: its round times out, and the next leaders\' blocks commit, never its own', () => {
    const cluster = new LockstepCluster(4);
    cluster.runUntil(cluster.nowMs + 10_000, () => minCommitted(cluster) >= 3);
    const byzantine = cluster.node('validator-1');
    const honest = cluster.nodes.filter((node) => node !== byzantine);
    const withheld = honest.map((node) => withholdFrom(node, new Set(['ghost'])));
    // Only the Byzantine leader has 'ghost': it proposes it the next three times it leads, then behaves,
    // so that the run can end after its last such round is over.
    byzantine.app.pending.push('ghost');
    const propose = byzantine.app.propose.bind(byzantine.app);
    let ghostsProposed = 0;
    byzantine.app.propose = (context) => {
      if (ghostsProposed >= 3 && byzantine.app.pending.includes('ghost')) byzantine.app.pending.splice(byzantine.app.pending.indexOf('ghost'), 1);
      const content = propose(context);
      if (transactionsOf(content.payload).includes('ghost')) ghostsProposed++;
      return content;
    };
    for (let index = 0; index < 6; index++) cluster.submit(`after-${index}`);
    const ghostProposals = () =>
      byzantine.outputs.flatMap((output) =>
        output.kind === 'broadcast' && output.message.kind === 'proposal' && transactionsOf(output.message.block.payload).includes('ghost') ? [output.message.block.header] : [],
      );
    const startHeight = minCommitted(cluster);
    const afterEveryGhostRound = () => {
      const rounds = ghostProposals().map((header) => header.round);
      return rounds.length >= 3 && honest.every((node) => node.committed.some((committed) => committed.block.header.round > Math.max(...rounds)));
    };
    const allSubmittedCommitted = () => cluster.nodes.every((node) => [0, 1, 2, 3, 4, 5].every((index) => node.app.committed.includes(`after-${index}`)));
    cluster.runUntil(cluster.nowMs + 300_000, () => afterEveryGhostRound() && allSubmittedCommitted() && minCommitted(cluster) >= startHeight + 8);
    expect(afterEveryGhostRound()).toBe(true);

    // It proposed 'ghost' whenever it led, and every honest validator held each of those proposals for their bodies.
    const ghosts = ghostProposals();
    const ghostHashes = new Set(ghosts.map((header) => blockHash(header)));
    expect(ghosts).toHaveLength(3);
    for (const entry of withheld) {
      expect(new Set(entry.checks.map((check) => check.hash))).toEqual(ghostHashes);
      expect(new Set(entry.checks.map((check) => check.verdict))).toEqual(new Set(['missing-transactions']));
    }
    // The chain went on: everything else submitted committed everywhere, on one chain, and none of its blocks.
    expect(allSubmittedCommitted()).toBe(true);
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(startHeight + 8);
    expectIdenticalPrefixes(cluster);
    for (const node of cluster.nodes) {
      expect(node.app.committed).not.toContain('ghost');
      for (const committed of node.committed) expect(ghostHashes.has(blockHash(committed.block.header))).toBe(false);
    }
    // No honest vote for any of its blocks.
    for (const node of honest) {
      for (const output of node.outputs) if (output.kind === 'send' && output.message.kind === 'vote') expect(ghostHashes.has(output.message.vote.blockHash)).toBe(false);
    }
    // Each of its rounds ended in a timeout certificate, on which the next leader proposed, and that block committed.
    const committedRounds = new Map(cluster.node('validator-0').committed.map((committed) => [committed.block.header.round, committed.block.header] as const));
    for (const { round } of ghosts) {
      expect(committedRounds.has(round)).toBe(false);
      // A timeout certificate needs n - f = 3 timeouts, so at least two honest ones: they gave up on the round.
      const timedOut = honest.filter((node) => node.outputs.some((output) => output.kind === 'broadcast' && output.message.kind === 'timeout' && output.message.round === round));
      expect(timedOut.length, `honest timeouts in round ${round}`).toBeGreaterThanOrEqual(2);
      const nextLeader = cluster.node(byzantine.core.leaderOf(round + 1));
      const onCertificate = nextLeader.outputs.flatMap((output) =>
        output.kind === 'broadcast' && output.message.kind === 'proposal' && output.message.block.header.round === round + 1 && output.message.timeoutCertificate?.round === round ? [output.message.block.header] : [],
      );
      expect(onCertificate, `${nextLeader.id} proposed round ${round + 1} on the timeout certificate of round ${round}`).toHaveLength(1);
      expect(committedRounds.get(round + 1), `the block of round ${round + 1} committed`).toEqual(onCertificate[0]);
    }
  });
});
