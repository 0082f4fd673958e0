import { describe, expect, it } from 'vitest';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, voteDigest, type QuorumCertificate } from '../../ledger/model/certificate.js';
import { decodeMessage, encodeMessage } from '../../consensus/codec.js';
import { proposalDigest, timeoutDigest, type ProposalMessage, type TimeoutCertificate } from '../../consensus/messages.js';
import { MessageVerifier } from '../../consensus/verifier.js';
import { TestChain } from '../support/test-chain.js';

const chain = new TestChain({ validators: 4 });
const genesisEpoch = { number: 0, validators: chain.validators, startHeight: 1, rootHash: chain.genesisHash, rootTimestamp: chain.genesis.genesisTime };
const verifier = () => new MessageVerifier(chain.chainId, genesisEpoch);
const leaderOf = (round: number) => `validator-${round % 4}`;
const seedOf = (id: string) => chain.validatorKeys[Number(id.split('-')[1])]!.seed;

function header(overrides: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chainId: chain.chainId,
    height: 1,
    round: 1,
    prevHash: chain.genesisHash,
    proposer: leaderOf(overrides.round ?? 1),
    timestamp: chain.genesis.genesisTime,
    txCount: 0,
    txRoot: '00'.repeat(32),
    ledgerHeight: 0,
    logSize: 0,
    logRoot: '00'.repeat(32),
    stateRoot: '00'.repeat(32),
    ...overrides,
  };
}

function quorumCertificate(certified: BlockHeader, signers = [0, 1, 2]): QuorumCertificate {
  const vote = { blockHash: blockHash(certified), height: certified.height, round: certified.round };
  return { vote, signatures: signers.map((index) => ({ validator: `validator-${index}`, signature: toHex(signVote(chain.chainId, chain.validatorKeys[index]!.seed, vote)) })) };
}

function timeoutCertificate(round: number, highQc: QuorumCertificate | null, signers = [0, 1, 2]): TimeoutCertificate {
  const highQcRound = highQc?.vote.round ?? 0;
  return {
    round,
    highQc,
    signatures: signers.map((index) => ({
      validator: `validator-${index}`,
      highQcRound,
      signature: toHex(signFor('timeout', chain.chainId, chain.validatorKeys[index]!.seed, timeoutDigest(round, highQcRound))),
    })),
  };
}

function proposal(blockHeader: BlockHeader, justify: QuorumCertificate | null, tc: TimeoutCertificate | null = null, signer = blockHeader.proposer): ProposalMessage {
  const payload = new TextEncoder().encode('[]');
  return {
    kind: 'proposal',
    block: { header: blockHeader, payload },
    justify,
    timeoutCertificate: tc,
    signature: toHex(signFor('proposal', chain.chainId, seedOf(signer), proposalDigest(blockHash(blockHeader), payload))),
  };
}

describe('proposal verification', () => {
  const first = header();
  const firstQc = quorumCertificate(first);
  const second = header({ height: 2, round: 2, prevHash: blockHash(first) });

  it('accepts a leader-signed proposal whose certificate certifies its parent', () => {
    expect(verifier().verifyProposal(proposal(first, null), leaderOf)).toEqual({ ok: true });
    expect(verifier().verifyProposal(proposal(second, firstQc), leaderOf)).toEqual({ ok: true });
  });

  it('refuses each defect with its own reason', () => {
    const cases: Array<[string, ProposalMessage, string]> = [
      ['other chain', proposal(header({ chainId: 'other-chain' }), null), 'wrong-chain'],
      ['not the leader', proposal(header({ proposer: 'validator-2' }), null), 'wrong-leader'],
      ['unknown proposer', { ...proposal(first, null), block: { ...proposal(first, null).block, header: { ...first, proposer: 'validator-9' } } }, 'unknown-validator'],
      ['signed by another key', proposal(first, null, null, 'validator-3'), 'bad-signature'],
      ['tampered after signing', { ...proposal(first, null), block: { ...proposal(first, null).block, payload: new TextEncoder().encode('["x"]') } }, 'bad-signature'],
      ['height 2 claiming genesis', proposal(header({ height: 2, round: 2 }), null), 'bad-parent'],
      ['certificate for another parent', proposal(header({ height: 2, round: 2, prevHash: 'ab'.repeat(32) }), firstQc), 'bad-parent'],
      ['parent from the same round', proposal(header({ height: 2, round: 1, prevHash: blockHash(first), proposer: leaderOf(1) }), firstQc), 'bad-parent'],
      ['certificate without a quorum', proposal(second, quorumCertificate(first, [0, 1])), 'invalid-certificate'],
      ['certificate counting one validator twice', proposal(second, quorumCertificate(first, [0, 1, 1])), 'invalid-certificate'],
    ];
    for (const [name, message, reason] of cases) {
      expect(verifier().verifyProposal(message, leaderOf), name).toMatchObject({ ok: false, reason });
    }
  });

  it('checks a carried timeout certificate', () => {
    const third = header({ height: 2, round: 3, prevHash: blockHash(first) });
    expect(verifier().verifyProposal(proposal(third, firstQc, timeoutCertificate(2, firstQc)), leaderOf)).toEqual({ ok: true });
    expect(verifier().verifyProposal(proposal(third, firstQc, timeoutCertificate(2, firstQc, [0, 1])), leaderOf)).toMatchObject({ ok: false, reason: 'invalid-certificate' });
    expect(verifier().verifyProposal(proposal(third, firstQc, timeoutCertificate(3, firstQc)), leaderOf)).toMatchObject({ ok: false, reason: 'invalid-certificate' });
  });
});

describe('timeout certificate verification', () => {
  const first = header();
  const firstQc = quorumCertificate(first);

  it('accepts n - f distinct signers with the highest QC carried', () => {
    expect(verifier().verifyTimeoutCertificate(timeoutCertificate(3, firstQc))).toEqual({ ok: true });
    expect(verifier().verifyTimeoutCertificate(timeoutCertificate(3, null))).toEqual({ ok: true });
  });

  it('refuses duplicate signers, too few, a carried QC lower than reported, and forged signatures', () => {
    expect(verifier().verifyTimeoutCertificate(timeoutCertificate(3, firstQc, [0, 0, 1]))).toMatchObject({ ok: false, reason: 'invalid-certificate' });
    expect(verifier().verifyTimeoutCertificate(timeoutCertificate(3, firstQc, [0, 1]))).toMatchObject({ ok: false, reason: 'invalid-certificate' });
    const understated = { ...timeoutCertificate(3, firstQc), highQc: null };
    expect(verifier().verifyTimeoutCertificate(understated)).toMatchObject({ ok: false, reason: 'invalid-certificate' });
    const forged = timeoutCertificate(3, firstQc);
    forged.signatures[2] = { ...forged.signatures[2]!, highQcRound: 0 };
    expect(verifier().verifyTimeoutCertificate(forged)).toMatchObject({ ok: false, reason: 'invalid-certificate' });
  });
});

describe('vote and timeout verification', () => {
  it('accepts a validator-signed vote and refuses unknown validators and bad signatures', () => {
    const vote = { blockHash: 'cd'.repeat(32), height: 3, round: 4 };
    const signature = toHex(signVote(chain.chainId, chain.validatorKeys[1]!.seed, vote));
    expect(verifier().verifyVote({ kind: 'vote', vote, validator: 'validator-1', signature })).toEqual({ ok: true });
    expect(verifier().verifyVote({ kind: 'vote', vote, validator: 'validator-2', signature })).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifier().verifyVote({ kind: 'vote', vote, validator: 'validator-7', signature })).toMatchObject({ ok: false, reason: 'unknown-validator' });
  });

  it('refuses a timeout whose QC is from its own round', () => {
    const certified = header({ round: 5, height: 1 });
    const message = {
      kind: 'timeout' as const,
      round: 5,
      highQc: quorumCertificate(certified),
      validator: 'validator-0',
      signature: toHex(signFor('timeout', chain.chainId, chain.validatorKeys[0]!.seed, timeoutDigest(5, 5))),
      highTc: null,
    };
    expect(verifier().verifyTimeout(message)).toMatchObject({ ok: false, reason: 'invalid-certificate' });
  });
});

describe("a validator's own signatures", () => {
  const vote = { blockHash: 'cd'.repeat(32), height: 3, round: 4 };
  const own = toHex(signVote(chain.chainId, chain.validatorKeys[1]!.seed, vote));
  const remembering = () => {
    const checker = verifier();
    checker.rememberOwnSignature('vote', 'validator-1', voteDigest(vote), own);
    return checker;
  };

  it('takes them back as verified, alone and inside a certificate', () => {
    expect(remembering().verifyVote({ kind: 'vote', vote, validator: 'validator-1', signature: own })).toEqual({ ok: true });
    const others = [0, 2].map((index) => ({ validator: `validator-${index}`, signature: toHex(signVote(chain.chainId, chain.validatorKeys[index]!.seed, vote)) }));
    expect(remembering().verifyQuorumCertificate({ vote, signatures: [others[0]!, { validator: 'validator-1', signature: own }, others[1]!] })).toEqual({ ok: true });
  });

  it('still checks the same bytes under another validator, over another vote or for another purpose, and refuses them', () => {
    expect(remembering().verifyVote({ kind: 'vote', vote, validator: 'validator-2', signature: own })).toMatchObject({ ok: false, reason: 'bad-signature' });
    const other = { ...vote, round: 5 };
    expect(remembering().verifyVote({ kind: 'vote', vote: other, validator: 'validator-1', signature: own })).toMatchObject({ ok: false, reason: 'bad-signature' });
    const signers = [0, 2].map((index) => ({ validator: `validator-${index}`, signature: toHex(signVote(chain.chainId, chain.validatorKeys[index]!.seed, other)) }));
    expect(remembering().verifyQuorumCertificate({ vote: other, signatures: [signers[0]!, { validator: 'validator-1', signature: own }, signers[1]!] })).toMatchObject({
      ok: false,
      reason: 'invalid-certificate',
    });
    const timeout = { kind: 'timeout' as const, round: 4, highQc: null, validator: 'validator-1', signature: own, highTc: null };
    expect(remembering().verifyTimeout(timeout)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('the wire codec', () => {
  it('round-trips every message kind through JSON, payload bytes included', () => {
    const first = header();
    const firstQc = quorumCertificate(first);
    const messages = [
      proposal(header({ height: 2, round: 3, prevHash: blockHash(first) }), firstQc, timeoutCertificate(2, firstQc)),
      { kind: 'vote' as const, vote: firstQc.vote, validator: 'validator-1', signature: firstQc.signatures[1]!.signature },
      { kind: 'timeout' as const, round: 3, highQc: firstQc, validator: 'validator-0', signature: 'ab'.repeat(64), highTc: timeoutCertificate(2, firstQc) },
      { kind: 'sync-info' as const, highQc: null, highTc: null },
      { kind: 'block-request' as const, requestId: 7, blockHash: firstQc.vote.blockHash, count: 10 },
      { kind: 'block-response' as const, requestId: 7, blocks: [{ block: proposal(first, null).block, justify: null }], committedHeight: 0 },
      { kind: 'committed-request' as const, fromHeight: 1, count: 5 },
      { kind: 'committed-response' as const, blocks: [{ block: proposal(first, null).block, certificate: firstQc }] },
    ];
    for (const message of messages) {
      const decoded = decodeMessage(JSON.parse(JSON.stringify(encodeMessage(message))));
      expect(decoded).toEqual({ ok: true, message, epoch: 0 });
      const labelled = encodeMessage(message, 3) as Record<string, unknown>;
      expect(labelled.epoch).toBe(3);
      expect(decodeMessage(JSON.parse(JSON.stringify(labelled)))).toEqual({ ok: true, message, epoch: 3 });
    }
  });

  it('refuses an epoch label that is not a positive integer (epoch 0 is written by leaving it out)', () => {
    const message = { kind: 'sync-info' as const, highQc: null, highTc: null };
    for (const epoch of [0, -1, 1.5, '2', null]) expect(decodeMessage({ ...message, epoch }).ok).toBe(false);
  });

  it('refuses malformed input with a reason instead of throwing', () => {
    for (const garbage of [null, 42, 'x', {}, { kind: 'vote' }, { kind: 'nope' }, { kind: 'block-request', requestId: 1, blockHash: 'zz', count: 1 }, { kind: 'proposal', block: { header: {}, payload: '***' } }]) {
      const decoded = decodeMessage(garbage);
      expect(decoded.ok).toBe(false);
      expect(!decoded.ok && decoded.reason.length).toBeGreaterThan(0);
    }
  });
});
