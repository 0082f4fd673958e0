/**
 * Each consensus signature is checked once per validator (issue 12: "votes of a certificate
 * checked once"): a leader verifies the votes it receives one by one and assembles their QC, and
 * that QC, coming back in its own proposal and in later messages, is not verified again; nor is a
 * QC any validator received before. Nor does a validator check a signature it made itself: its
 * proposal and its vote loop back to it, and its vote rides in the next proposal's QC. Every
 * signature made and checked is recorded with the validator whose step did it (LockstepCluster
 * steps one core at a time).
 */
import { describe, expect, it, vi } from 'vitest';
import { toHex } from '../../ledger/encoding/hex.js';
import { expectIdenticalPrefixes, LockstepCluster, minCommitted } from './support/lockstep-cluster.js';

const checks: Array<{ validator: string; purpose: string; signature: string }> = [];
const made: Array<{ validator: string; purpose: string; signature: string }> = [];
let stepping = '';

vi.mock('../../ledger/crypto/signatures.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../ledger/crypto/signatures.js')>();
  return {
    ...original,
    verifyFor: (...args: Parameters<typeof original.verifyFor>) => {
      checks.push({ validator: stepping, purpose: args[0], signature: toHex(args[4]) });
      return original.verifyFor(...args);
    },
    signFor: (...args: Parameters<typeof original.signFor>) => {
      const signature = original.signFor(...args);
      made.push({ validator: stepping, purpose: args[0], signature: toHex(signature) });
      return signature;
    },
  };
});

describe('consensus signature checks', () => {
  it('verify each vote and proposal signature once per validator, the leader included', () => {
    const cluster = new LockstepCluster(4, { timings: { idleProposalDelayMs: 30_000, roundTimeoutBaseMs: 3_000 } });
    for (const node of cluster.nodes) {
      const step = node.core.step.bind(node.core);
      node.core.step = (input) => {
        stepping = node.id;
        return step(input);
      };
    }
    for (let index = 0; index < 12; index++) {
      cluster.submit(`tx-${index}`);
      cluster.runUntil(cluster.nowMs + 50);
    }
    cluster.runUntil(cluster.nowMs + 10_000, () => cluster.nodes.every((node) => node.app.committed.includes('tx-11')));
    expect(minCommitted(cluster)).toBeGreaterThanOrEqual(6);
    expectIdenticalPrefixes(cluster);

    const consensusChecks = checks.filter((check) => check.purpose === 'vote' || check.purpose === 'proposal');
    // Leaders did verify votes (the QCs formed), and followers the QCs in proposals.
    expect(consensusChecks.filter((check) => check.purpose === 'vote').length).toBeGreaterThan(3 * minCommitted(cluster));
    const seen = new Set<string>();
    const repeated: string[] = [];
    for (const check of consensusChecks) {
      expect(check.validator).not.toBe('');
      const key = `${check.validator} ${check.purpose} ${check.signature}`;
      if (seen.has(key)) repeated.push(key);
      seen.add(key);
    }
    expect(repeated).toEqual([]);

    // Each validator signed proposals and votes, and the others checked them; none checked its own.
    const entryKey = (entry: { validator: string; purpose: string; signature: string }) => `${entry.validator} ${entry.purpose} ${entry.signature}`;
    const ownSignatures = new Set(made.map(entryKey));
    for (const node of cluster.nodes) expect(made.some((entry) => entry.validator === node.id && entry.purpose === 'vote')).toBe(true);
    expect(consensusChecks.filter((check) => ownSignatures.has(entryKey(check)))).toEqual([]);
    const signedBySomeoneElse = consensusChecks.filter((check) => made.some((entry) => entry.signature === check.signature && entry.validator !== check.validator));
    expect(signedBySomeoneElse.length).toBe(consensusChecks.length);
  });
});
