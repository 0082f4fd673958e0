import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { domainTag, EPOCH_SCOPED_PURPOSES, SIGNING_PURPOSES } from '../../../ledger/crypto/domain.js';
import { keyPairFromSeed } from '../../../ledger/crypto/ed25519.js';
import { signFor, verifyFor } from '../../../ledger/crypto/signatures.js';
import { sha256 as nodeSha256 } from '../../../ledger/crypto/sha256.js';
import { sha256 as browserSha256 } from '../../../ledger/crypto/sha256.browser.js';
import { toHex } from '../../../ledger/encoding/hex.js';

describe('domain tags', () => {
  it('spell custodia/v1/<purpose>/<chainId> followed by one zero byte', () => {
    expect(new TextDecoder().decode(domainTag('vote', 'custodia-test'))).toBe('custodia/v1/vote/custodia-test\u0000');
  });

  it('are distinct and none is a prefix of another, across purposes and chains', () => {
    const tags = SIGNING_PURPOSES.flatMap((purpose) => ['a', 'ab', 'custodia-test', 'custodia-test2'].map((chain) => toHex(domainTag(purpose, chain))));
    expect(new Set(tags).size).toBe(tags.length);
    for (const a of tags) for (const b of tags) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });

  it('refuse chain ids that could break the separation', () => {
    for (const bad of ['', 'a/b', 'A', 'a\u0000', '-a', 'x'.repeat(65)]) expect(() => domainTag('vote', bad)).toThrow();
  });
});

describe('epoch-scoped domain tags', () => {
  const text = (tag: Uint8Array) => new TextDecoder().decode(tag);

  it('leave every epoch-0 tag as it was, and add /epoch-<n> for consensus signatures of later epochs', () => {
    for (const purpose of SIGNING_PURPOSES) {
      expect(text(domainTag(purpose, 'custodia-test', 0))).toBe(`custodia/v1/${purpose}/custodia-test\u0000`);
      expect(toHex(domainTag(purpose, 'custodia-test', 0))).toBe(toHex(domainTag(purpose, 'custodia-test')));
    }
    expect(EPOCH_SCOPED_PURPOSES).toEqual(['proposal', 'vote', 'timeout']);
    expect(text(domainTag('vote', 'custodia-test', 1))).toBe('custodia/v1/vote/custodia-test/epoch-1\u0000');
    expect(text(domainTag('proposal', 'custodia-test', 12))).toBe('custodia/v1/proposal/custodia-test/epoch-12\u0000');
    expect(text(domainTag('timeout', 'custodia-test', 3))).toBe('custodia/v1/timeout/custodia-test/epoch-3\u0000');
  });

  it('are distinct and none is a prefix of another, across purposes, chains and epochs', () => {
    const tags = EPOCH_SCOPED_PURPOSES.flatMap((purpose) =>
      ['a', 'ab', 'custodia-test'].flatMap((chain) => [0, 1, 2, 10, 11, 100].map((epoch) => toHex(domainTag(purpose, chain, epoch)))),
    );
    tags.push(...SIGNING_PURPOSES.map((purpose) => toHex(domainTag(purpose, 'custodia-test'))));
    const distinct = new Set(tags);
    for (const a of distinct) for (const b of distinct) if (a !== b) expect(b.startsWith(a)).toBe(false);
    expect(distinct.size).toBe(EPOCH_SCOPED_PURPOSES.length * 3 * 6 + SIGNING_PURPOSES.length - EPOCH_SCOPED_PURPOSES.length);
  });

  it('refuse an epoch for purposes that are not epoch-scoped, and epochs that are not whole numbers', () => {
    for (const purpose of SIGNING_PURPOSES.filter((candidate) => !EPOCH_SCOPED_PURPOSES.includes(candidate))) {
      expect(() => domainTag(purpose, 'custodia-test', 1)).toThrow(/not epoch-scoped/);
      expect(text(domainTag(purpose, 'custodia-test', 0))).toBe(`custodia/v1/${purpose}/custodia-test\u0000`);
    }
    expect(() => domainTag('transaction', 'custodia-test', 1)).toThrow();
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(() => domainTag('vote', 'custodia-test', bad)).toThrow(/invalid epoch/);
  });

  it('keep a signature of one epoch from verifying in another', () => {
    const key = keyPairFromSeed(nodeSha256(new TextEncoder().encode('epoch signer')));
    const message = nodeSha256(new TextEncoder().encode('a vote digest'));
    const inEpoch0 = signFor('vote', 'custodia-test', key.seed, message);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch0)).toBe(true);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch0, 0)).toBe(true);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch0, 1)).toBe(false);
    const inEpoch1 = signFor('vote', 'custodia-test', key.seed, message, 1);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch1, 1)).toBe(true);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch1, 0)).toBe(false);
    expect(verifyFor('vote', 'custodia-test', key.publicKey, message, inEpoch1, 2)).toBe(false);
    expect(verifyFor('timeout', 'custodia-test', key.publicKey, message, inEpoch1, 1)).toBe(false);
  });
});

describe('sha256 backends', () => {
  it('agree on the FIPS 180-4 examples', () => {
    const abc = new TextEncoder().encode('abc');
    expect(toHex(nodeSha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(browserSha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('give identical digests for any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (data) => toHex(nodeSha256(data)) === toHex(browserSha256(data))),
      { seed: 20261122, numRuns: 500 },
    );
  });
});
