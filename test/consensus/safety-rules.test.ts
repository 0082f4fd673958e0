import { describe, expect, it } from 'vitest';
import { fromHex } from '../../ledger/encoding/hex.js';
import { verifyFor } from '../../ledger/crypto/signatures.js';
import { voteDigest } from '../../ledger/model/certificate.js';
import { initialSafetyState } from '../../consensus/defaults.js';
import { timeoutDigest } from '../../consensus/messages.js';
import { isAboveLastVotedRound, isSafeToTimeout, isSafeToVote, SafetyRules, type VoteRequest } from '../../consensus/safety-rules.js';
import { testKey } from '../support/test-chain.js';

const key = testKey('safety rules');
const chainId = 'custodia-test';
const rules = (state = initialSafetyState()) => new SafetyRules(chainId, key.seed, state);
const voteFor = (round: number, qcRound = round - 1, blockHash = `${round}`.padStart(64, 'a')): VoteRequest => ({
  blockHash,
  height: round,
  round,
  qcRound,
  timeoutCertificate: null,
});

describe('safety predicates', () => {
  it('vote once per round: only rounds above the last voted round', () => {
    expect(isAboveLastVotedRound(5, 4)).toBe(true);
    expect(isAboveLastVotedRound(5, 5)).toBe(false);
    expect(isAboveLastVotedRound(4, 5)).toBe(false);
  });

  it('safe to vote: the QC is from the previous round, or a TC justifies the round and the QC is not below its highest', () => {
    expect(isSafeToVote(5, 4, null)).toBe(true);
    expect(isSafeToVote(5, 3, null)).toBe(false);
    expect(isSafeToVote(5, 3, { round: 4, highestQcRound: 3 })).toBe(true);
    expect(isSafeToVote(5, 2, { round: 4, highestQcRound: 3 })).toBe(false);
    expect(isSafeToVote(5, 3, { round: 3, highestQcRound: 3 })).toBe(false);
  });

  it('safe to timeout: the round is justified by the QC or the TC, and the QC is not below the lock', () => {
    expect(isSafeToTimeout(5, 4, 0, 4)).toBe(true);
    expect(isSafeToTimeout(5, 3, 4, 3)).toBe(true);
    expect(isSafeToTimeout(5, 3, 4, 4)).toBe(false);
    expect(isSafeToTimeout(5, 2, 3, 0)).toBe(false);
  });
});

describe('SafetyRules', () => {
  it('signs a vote with the vote tag and returns the state to persist', () => {
    const safety = rules();
    const decision = safety.signVote(voteFor(1, 0));
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(decision.repeated).toBe(false);
    expect(decision.state).toMatchObject({ lastVotedRound: 1, lockedRound: 0, lastVote: { round: 1, signature: decision.signature } });
    const vote = { blockHash: voteFor(1).blockHash, height: 1, round: 1 };
    expect(verifyFor('vote', chainId, key.publicKey, voteDigest(vote), fromHex(decision.signature))).toBe(true);
  });

  it('re-serves the identical signature for a repeated vote and refuses a different block in that round', () => {
    const safety = rules();
    const first = safety.signVote(voteFor(3, 2));
    const again = safety.signVote(voteFor(3, 2));
    expect(again).toMatchObject({ ok: true, repeated: true });
    expect(first.ok && again.ok && again.signature === first.signature).toBe(true);
    expect(safety.signVote(voteFor(3, 2, 'b'.repeat(64)))).toEqual({ ok: false, refusal: 'already-voted-for-another-block' });
  });

  it('refuses anything that moves backwards, also after a restart from the persisted state', () => {
    const safety = rules();
    const decision = safety.signVote(voteFor(7, 6));
    if (!decision.ok) throw new Error('vote refused');
    const restarted = rules(decision.state);
    expect(restarted.signVote(voteFor(6, 5))).toEqual({ ok: false, refusal: 'round-not-above-last-voted' });
    expect(restarted.signVote(voteFor(7, 6, 'c'.repeat(64)))).toEqual({ ok: false, refusal: 'already-voted-for-another-block' });
    expect(restarted.signTimeout(6, null, 5)).toEqual({ ok: false, refusal: 'round-below-last-voted' });
    expect(restarted.signVote(voteFor(8, 7)).ok).toBe(true);
  });

  it('refuses a vote the safe-to-vote rule forbids, unless the test-only switch disables it', () => {
    expect(rules().signVote(voteFor(5, 3))).toEqual({ ok: false, refusal: 'not-safe-to-vote' });
    const unsafe = new SafetyRules(chainId, key.seed, initialSafetyState(), { skipSafeToVoteRule: true });
    expect(unsafe.signVote(voteFor(5, 3)).ok).toBe(true);
  });

  it('signs one timeout per round and re-serves it with the QC it carried', () => {
    const safety = rules();
    const first = safety.signTimeout(4, null, 3);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(verifyFor('timeout', chainId, key.publicKey, timeoutDigest(4, 0), fromHex(first.signature))).toBe(true);
    expect(first.state).toMatchObject({ lastVotedRound: 4, highestTimeoutRound: 4, lastTimeout: { round: 4, highQcRound: 0 } });
    const again = rules(first.state).signTimeout(4, null, 3);
    expect(again).toMatchObject({ ok: true, repeated: true, signature: first.signature, highQc: null });
    // Having timed out in round 4, it no longer votes in round 4.
    expect(rules(first.state).signVote(voteFor(4, 3))).toEqual({ ok: false, refusal: 'round-not-above-last-voted' });
  });

  it('allows a timeout in the round it voted in, but not below its lock', () => {
    const safety = rules();
    const vote = safety.signVote(voteFor(6, 5));
    expect(vote.ok).toBe(true);
    // The safety module does not verify certificates (the core does before asking); only rounds matter here.
    const qcOfRound5 = { vote: { blockHash: 'd'.repeat(64), height: 5, round: 5 }, signatures: [] };
    expect(safety.signTimeout(6, null, 5)).toEqual({ ok: false, refusal: 'not-safe-to-timeout' });
    expect(safety.signTimeout(6, qcOfRound5, 0).ok).toBe(true);
    const locked = rules({ ...initialSafetyState(), lockedRound: 5, lastVotedRound: 5 });
    expect(locked.signTimeout(7, null, 6)).toEqual({ ok: false, refusal: 'not-safe-to-timeout' });
  });

  it('signs one proposal per round, re-serving the same one and refusing another', () => {
    const safety = rules();
    const digest = new Uint8Array(32).fill(1);
    const first = safety.signProposal(3, digest);
    expect(safety.signProposal(3, digest)).toMatchObject({ ok: true, repeated: true, signature: first.ok ? first.signature : '' });
    expect(safety.signProposal(3, new Uint8Array(32).fill(2))).toEqual({ ok: false, refusal: 'already-proposed-another-block' });
    expect(safety.signProposal(2, digest)).toEqual({ ok: false, refusal: 'proposal-round-not-increasing' });
  });

  it('tells the proposal it signed last, as a copy the caller cannot use to change its state', () => {
    const safety = rules();
    expect(safety.lastProposal).toBeNull();
    const signed = safety.signProposal(3, new Uint8Array(32).fill(1));
    expect(signed.ok).toBe(true);
    const last = safety.lastProposal!;
    expect(last).toEqual({ round: 3, digest: '01'.repeat(32), signature: signed.ok ? signed.signature : '' });
    expect(safety.state.lastProposal).toEqual(last);
    last.round = 9;
    expect(safety.lastProposal!.round).toBe(3);
    expect(safety.signProposal(4, new Uint8Array(32).fill(2)).ok).toBe(true);
  });
});

describe('safety rules across validator-set epochs', () => {
  it('start afresh in a later epoch, sign under its domain tag, and never move back to an earlier one', () => {
    const safety = rules();
    const first = safety.signVote(voteFor(7));
    expect(first.ok).toBe(true);
    expect(safety.signVote(voteFor(1, 0)).ok).toBe(false);

    const entered = safety.enterEpoch(1);
    expect(entered).toEqual(initialSafetyState(1));
    // Rounds restart at 1 in the new epoch, and the vote carries the epoch in its domain tag.
    const vote = voteFor(1, 0);
    const decision = safety.signVote(vote);
    if (!decision.ok) throw new Error(decision.refusal);
    expect(decision.state.epoch).toBe(1);
    const digest = voteDigest({ blockHash: vote.blockHash, height: vote.height, round: vote.round });
    expect(verifyFor('vote', chainId, key.publicKey, digest, fromHex(decision.signature), 1)).toBe(true);
    expect(verifyFor('vote', chainId, key.publicKey, digest, fromHex(decision.signature), 0)).toBe(false);
    const timeout = safety.signTimeout(2, null, 1);
    if (!timeout.ok) throw new Error(timeout.refusal);
    expect(verifyFor('timeout', chainId, key.publicKey, timeoutDigest(2, 0), fromHex(timeout.signature), 1)).toBe(true);

    // Entering the same or an earlier epoch again changes nothing: no second vote in round 1 of epoch 1.
    expect(safety.enterEpoch(1).lastVotedRound).toBe(2);
    expect(safety.enterEpoch(0)).toMatchObject({ epoch: 1, lastVotedRound: 2 });
    expect(safety.signVote(voteFor(1, 0, 'b'.repeat(64))).ok).toBe(false);
  });
});
