import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signFor } from '../../../ledger/crypto/signatures.js';
import { signVote, verifyQuorumCertificate, voteDigest } from '../../../ledger/model/certificate.js';
import { TestChain, testKey } from '../../support/test-chain.js';

const vote = { blockHash: 'ab'.repeat(32), height: 3, round: 5 };

function certificate(chain: TestChain, signers: number[]) {
  return {
    vote,
    signatures: signers.map((index) => ({ validator: `validator-${index}`, signature: toHex(signVote(chain.chainId, chain.validatorKeys[index]!.seed, vote)) })),
  };
}

describe('quorum certificates', () => {
  it('verify with a quorum of distinct validators, in any order', () => {
    const chain = new TestChain({ validators: 4 });
    expect(verifyQuorumCertificate(certificate(chain, [0, 1, 2]), chain.validators, chain.chainId)).toEqual({ ok: true });
    expect(verifyQuorumCertificate(certificate(chain, [3, 1, 0, 2]), chain.validators, chain.chainId)).toEqual({ ok: true });
  });

  it('count each validator once', () => {
    const chain = new TestChain({ validators: 4 });
    const padded = certificate(chain, [0, 1, 1]);
    expect(verifyQuorumCertificate(padded, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'duplicate-signer' });
  });

  it('are refused with a reason code for each failure', () => {
    const chain = new TestChain({ validators: 7 });
    const good = certificate(chain, [0, 1, 2, 3, 4]);
    expect(verifyQuorumCertificate(good, chain.validators, chain.chainId)).toEqual({ ok: true });
    expect(verifyQuorumCertificate(certificate(chain, [0, 1, 2, 3]), chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'insufficient-quorum' });
    const stranger = { ...good, signatures: [...good.signatures.slice(1), { validator: 'validator-99', signature: good.signatures[0]!.signature }] };
    expect(verifyQuorumCertificate(stranger, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'unknown-validator' });
    const otherVote = { ...good, vote: { ...vote, round: 6 } };
    expect(verifyQuorumCertificate(otherVote, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(verifyQuorumCertificate(good, chain.validators, 'other-chain')).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(verifyQuorumCertificate({ vote, signatures: 'none' }, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('do not accept a signature made for another purpose over the same digest', () => {
    const chain = new TestChain({ validators: 4 });
    const signatures = [0, 1, 2].map((index) => ({
      validator: `validator-${index}`,
      signature: toHex(signFor('timeout', chain.chainId, chain.validatorKeys[index]!.seed, voteDigest(vote))),
    }));
    expect(verifyQuorumCertificate({ vote, signatures }, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('verify only under the epoch their votes were cast in', () => {
    const chain = new TestChain({ validators: 4 });
    const inEpoch = (epoch: number) => ({
      vote,
      signatures: [0, 1, 2].map((index) => ({ validator: `validator-${index}`, signature: toHex(signVote(chain.chainId, chain.validatorKeys[index]!.seed, vote, epoch)) })),
    });
    expect(verifyQuorumCertificate(inEpoch(0), chain.validators, chain.chainId)).toEqual({ ok: true });
    expect(verifyQuorumCertificate(inEpoch(0), chain.validators, chain.chainId, 0)).toEqual({ ok: true });
    expect(verifyQuorumCertificate(inEpoch(0), chain.validators, chain.chainId, 1)).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(verifyQuorumCertificate(inEpoch(1), chain.validators, chain.chainId, 1)).toEqual({ ok: true });
    expect(verifyQuorumCertificate(inEpoch(1), chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(verifyQuorumCertificate(inEpoch(1), chain.validators, chain.chainId, 2)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('do not accept a non-validator key even under a validator name', () => {
    const chain = new TestChain({ validators: 4 });
    const forged = certificate(chain, [0, 1]);
    forged.signatures.push({ validator: 'validator-2', signature: toHex(signVote(chain.chainId, testKey('mallory').seed, vote)) });
    expect(verifyQuorumCertificate(forged, chain.validators, chain.chainId)).toMatchObject({ ok: false, code: 'bad-signature' });
  });
});
