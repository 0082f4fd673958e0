/** The simulator's checkers on synthetic logs: silent on honest ones, and each one biting on its violation. */
import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../ledger/model/block.js';
import type { CommittedBlock } from '../../../consensus/messages.js';
import { LivenessChecker, SafetyCheckers, VIOLATIONS_KEPT_MAX } from '../../../tools/sim/checkers.js';

const GENESIS = '11'.repeat(32);
const ROOT = '22'.repeat(32);
const SIGNATURE = '33'.repeat(64);

/** A synthetic committed block: only what the checkers read has to be right. */
function block(height: number, prevHash: string, tag = 'main', round = height): CommittedBlock {
  const header: BlockHeader = {
    chainId: 'custodia-sim',
    height,
    round,
    prevHash,
    proposer: `v${round % 4}`,
    timestamp: 1_700_000_000_000 + round,
    txCount: 0,
    txRoot: ROOT,
    ledgerHeight: Math.max(0, height - 1),
    logSize: tag.charCodeAt(0),
    logRoot: ROOT,
    stateRoot: ROOT,
  };
  return { block: { header, payload: new Uint8Array() }, certificate: { vote: { blockHash: blockHash(header), height, round }, signatures: [{ validator: 'v0', signature: SIGNATURE }] } };
}

function chain(length: number, tag = 'main'): CommittedBlock[] {
  const blocks: CommittedBlock[] = [];
  let previous = GENESIS;
  for (let height = 1; height <= length; height++) {
    const next = block(height, previous, tag);
    blocks.push(next);
    previous = blockHash(next.block.header);
  }
  return blocks;
}

describe('SafetyCheckers', () => {
  it('stays silent on honest logs: one chain, committed in pieces, votes and timeouts repeated identically', () => {
    const checkers = new SafetyCheckers(GENESIS);
    const blocks = chain(5);
    checkers.observeCommit(1, 'v0', blocks.slice(0, 2));
    checkers.observeCommit(2, 'v0', blocks.slice(2));
    checkers.observeCommit(3, 'v1', blocks);
    checkers.observeVote(4, 'v0', 0, { blockHash: ROOT, height: 3, round: 3 });
    checkers.observeVote(5, 'v0', 0, { blockHash: ROOT, height: 3, round: 3 });
    checkers.observeTimeout(6, 'v0', 0, 4, 2);
    checkers.observeTimeout(7, 'v0', 0, 4, 2);
    checkers.observeProposal(8, 'v1', 0, 5, 'aa');
    checkers.observeProposal(9, 'v1', 0, 5, 'aa');
    expect(checkers.violations).toEqual([]);
    expect(checkers.committedHeight('v0')).toBe(5);
    expect(checkers.committedHeight('v3')).toBe(0);
  });

  it('reports two honest validators committing different blocks at one height (agreement)', () => {
    const checkers = new SafetyCheckers(GENESIS);
    checkers.observeCommit(10, 'v0', chain(3, 'main'));
    checkers.observeCommit(20, 'v1', chain(3, 'fork'));
    expect(checkers.violations[0]).toMatch(/^t=20 agreement: v1 committed [0-9a-f]{12} at height 1 but v0 committed/);
  });

  it('reports a double vote, a double timeout and a double proposal in one round', () => {
    const checkers = new SafetyCheckers(GENESIS);
    checkers.observeVote(1, 'v2', 0, { blockHash: 'aa'.repeat(32), height: 4, round: 7 });
    checkers.observeVote(2, 'v2', 0, { blockHash: 'bb'.repeat(32), height: 4, round: 7 });
    checkers.observeVote(3, 'v3', 0, { blockHash: 'aa'.repeat(32), height: 4, round: 7 });
    checkers.observeTimeout(4, 'v2', 0, 8, 5);
    checkers.observeTimeout(5, 'v2', 0, 8, 6);
    checkers.observeProposal(6, 'v1', 0, 9, 'aa');
    checkers.observeProposal(7, 'v1', 0, 9, 'bb');
    expect(checkers.violations).toHaveLength(3);
    expect(checkers.violations[0]).toContain('double vote: v2');
    expect(checkers.violations[1]).toContain('double timeout: v2 signed timeouts for round 8 with highQcRound 5 and 6');
    expect(checkers.violations[2]).toContain('double proposal: v1');
  });

  it('tells rounds of different validator-set epochs apart: round 3 of epoch 1 is not round 3 of epoch 0', () => {
    const checkers = new SafetyCheckers(GENESIS);
    checkers.observeVote(1, 'v2', 0, { blockHash: 'aa'.repeat(32), height: 4, round: 3 });
    checkers.observeVote(2, 'v2', 1, { blockHash: 'bb'.repeat(32), height: 20, round: 3 });
    checkers.observeTimeout(3, 'v2', 0, 3, 2);
    checkers.observeTimeout(4, 'v2', 1, 3, 1);
    checkers.observeProposal(5, 'v2', 0, 3, 'aa');
    checkers.observeProposal(6, 'v2', 1, 3, 'bb');
    expect(checkers.violations).toEqual([]);
    checkers.observeVote(7, 'v2', 1, { blockHash: 'cc'.repeat(32), height: 20, round: 3 });
    expect(checkers.violations[0]).toContain('double vote: v2');
  });

  it('reports a revoked commit, a re-commit, a gap, a broken chain and a certificate for another block', () => {
    const blocks = chain(4);
    const revoked = new SafetyCheckers(GENESIS);
    revoked.observeCommit(1, 'v0', blocks.slice(0, 2));
    revoked.observeCommit(2, 'v0', [chain(2, 'other')[1]!]);
    expect(revoked.violations[0]).toContain('revoked: v0 committed');

    const recommitted = new SafetyCheckers(GENESIS);
    recommitted.observeCommit(1, 'v0', blocks.slice(0, 2));
    recommitted.observeCommit(2, 'v0', [blocks[1]!]);
    expect(recommitted.violations[0]).toContain('re-committed: v0');

    // After a restart whose ledger had executed only height 1, heights 2 and 3 may come again, once, in order.
    const replayed = new SafetyCheckers(GENESIS);
    replayed.observeCommit(1, 'v0', blocks.slice(0, 3));
    replayed.observeRestart('v0', 1);
    replayed.observeCommit(2, 'v0', blocks.slice(1, 3));
    expect(replayed.violations).toEqual([]);
    replayed.observeCommit(3, 'v0', [blocks[1]!]);
    expect(replayed.violations[0]).toContain('re-committed: v0');
    const replayedDifferently = new SafetyCheckers(GENESIS);
    replayedDifferently.observeCommit(1, 'v0', blocks.slice(0, 3));
    replayedDifferently.observeRestart('v0', 1);
    replayedDifferently.observeCommit(2, 'v0', [block(2, 'ee'.repeat(32))]);
    expect(replayedDifferently.violations[0]).toContain('revoked: v0');

    const gap = new SafetyCheckers(GENESIS);
    gap.observeCommit(1, 'v0', [blocks[0]!, blocks[2]!]);
    expect(gap.violations[0]).toContain('gap: v0 committed height 3 while its ledger ends at 1');

    const broken = new SafetyCheckers(GENESIS);
    broken.observeCommit(1, 'v0', [blocks[0]!, block(2, 'ff'.repeat(32))]);
    expect(broken.violations[0]).toContain('broken chain: v0');

    const badCertificate = new SafetyCheckers(GENESIS);
    const mislabelled = { ...blocks[0]!, certificate: blocks[1]!.certificate };
    badCertificate.observeCommit(1, 'v0', [mislabelled]);
    expect(badCertificate.violations[0]).toContain('certificate: v0 committed');
  });

  it('reports honest votes for, and commits of, blocks that reference ids nobody disseminated, and nothing else', () => {
    const checkers = new SafetyCheckers(GENESIS);
    const known = 'aa'.repeat(32);
    const unknown = 'bb'.repeat(32);
    checkers.observeDisseminated(known);
    expect(checkers.observeBlockReferences('c1'.repeat(32), [known])).toBe(false);
    expect(checkers.observeBlockReferences('c2'.repeat(32), [known, unknown])).toBe(true);
    // Seen again: not a new unavailable block.
    expect(checkers.observeBlockReferences('c2'.repeat(32), [known, unknown])).toBe(false);
    checkers.observeVote(1, 'v0', 0, { blockHash: 'c1'.repeat(32), height: 1, round: 1 });
    checkers.observeCommittedReferences(2, 'v0', 1, 'c1'.repeat(32), [known]);
    checkers.observeCommittedReferences(2, 'v0', 2, 'c3'.repeat(32), []);
    expect(checkers.violations).toEqual([]);
    checkers.observeVote(3, 'v1', 0, { blockHash: 'c2'.repeat(32), height: 2, round: 2 });
    // The same vote observed again (sent, then persisted) is one violation, not two.
    checkers.observeVote(4, 'v1', 0, { blockHash: 'c2'.repeat(32), height: 2, round: 2 });
    checkers.observeCommittedReferences(5, 'v2', 2, 'c2'.repeat(32), [known, unknown]);
    expect(checkers.violations).toHaveLength(2);
    expect(checkers.violations[0]).toMatch(/^t=3 unavailable vote: v1 voted in round 2 for c2c2c2c2c2c2/);
    expect(checkers.violations[1]).toMatch(/^t=5 unavailable commit: v2 committed c2c2c2c2c2c2 at height 2, which references 1 transaction id\(s\) nobody disseminated \(bbbbbbbbbbbb\)/);
  });

  it('keeps a bounded number of violation texts but counts them all', () => {
    const checkers = new SafetyCheckers(GENESIS);
    for (let index = 0; index < VIOLATIONS_KEPT_MAX + 10; index++) checkers.report(index, `problem ${index}`);
    expect(checkers.violations).toHaveLength(VIOLATIONS_KEPT_MAX);
    expect(checkers.violationCount).toBe(VIOLATIONS_KEPT_MAX + 10);
  });
});

describe('LivenessChecker', () => {
  const honest = ['v0', 'v1', 'v2'];

  it('is satisfied once every honest validator commits above the highest height at the mark', () => {
    const checker = new LivenessChecker(honest, 10_000);
    checker.mark(1000, new Map([['v0', 5], ['v1', 7], ['v2', 3]]));
    expect(checker.targetHeight).toBe(8);
    checker.observeHeight(1500, 'v0', 8);
    checker.observeHeight(1600, 'v1', 8);
    checker.observeHeight(1700, 'v3', 100);
    expect(checker.satisfied()).toBe(false);
    checker.observeHeight(4000, 'v2', 9);
    expect(checker.satisfied()).toBe(true);
    expect(checker.recoveryMs).toBe(3000);
    expect(checker.verdict(20_000, new Map())).toEqual({ satisfied: true, failure: null });
  });

  it('fails after the bound when an honest validator commits nothing new, naming it', () => {
    const checker = new LivenessChecker(honest, 10_000);
    const heights = new Map([['v0', 5], ['v1', 5], ['v2', 5]]);
    checker.mark(1000, heights);
    checker.observeHeight(2000, 'v0', 6);
    checker.observeHeight(2000, 'v1', 6);
    expect(checker.verdict(10_999, heights).failure).toBeNull();
    const verdict = checker.verdict(11_000, new Map([['v0', 6], ['v1', 6], ['v2', 5]]));
    expect(verdict.satisfied).toBe(false);
    expect(verdict.failure).toContain('v2 at height 5');
    expect(verdict.failure).not.toContain('v0 at');
  });

  it('does not count catching up to old heights as progress', () => {
    const checker = new LivenessChecker(honest, 10_000);
    checker.mark(0, new Map([['v0', 9], ['v1', 2], ['v2', 9]]));
    checker.observeHeight(100, 'v1', 9);
    expect(checker.satisfied()).toBe(false);
    expect(checker.verdict(10_000, new Map([['v0', 9], ['v1', 9], ['v2', 9]])).failure).toContain('target height 10');
  });

  it('reports a run that ended before the faults healed', () => {
    const checker = new LivenessChecker(honest, 10_000);
    expect(checker.verdict(5000, new Map()).failure).toBe('the run ended before the faults healed');
  });
});
