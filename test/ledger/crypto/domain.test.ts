import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { domainTag, SIGNING_PURPOSES } from '../../../ledger/crypto/domain.js';
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
