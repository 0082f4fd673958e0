/**
 * The browser twins the UI bundle uses instead of the node:crypto modules: the same exports, and
 * on ed25519 the same verdict as the pinned rules on every committed edge case
 * (test/vectors/ed25519-rules.json), so "Verify" in a browser agrees with a validator.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as browserEd25519 from '../../ledger/crypto/ed25519.browser.js';
import * as nodeEd25519 from '../../ledger/crypto/ed25519.js';
import * as browserSha256 from '../../ledger/crypto/sha256.browser.js';
import * as nodeSha256 from '../../ledger/crypto/sha256.js';
import { fromHex } from '../../ledger/encoding/hex.js';

interface RuleVector {
  publicKey: string;
  message: string;
  signature: string;
  expectedValid: boolean;
  registrable: boolean;
  comment: string;
}

const vectors = (JSON.parse(readFileSync(new URL('../vectors/ed25519-rules.json', import.meta.url), 'utf8')) as { vectors: RuleVector[] }).vectors;

describe('ed25519.browser.ts', () => {
  it('exports every name ed25519.ts exports', () => {
    expect(Object.keys(browserEd25519).sort()).toEqual(Object.keys(nodeEd25519).sort());
  });

  it(`gives the pinned verdict on all ${vectors.length} rule vectors, and the registration verdict on their keys`, () => {
    expect(vectors.length).toBeGreaterThan(200);
    const disagreements = vectors.filter((vector) => {
      const publicKey = fromHex(vector.publicKey);
      return (
        browserEd25519.verify(publicKey, fromHex(vector.message), fromHex(vector.signature)) !== vector.expectedValid ||
        browserEd25519.checkRegistrableKey(publicKey).ok !== vector.registrable
      );
    });
    expect(disagreements.map((vector) => vector.comment)).toEqual([]);
  });

  it('verifies what the Node backend signs, and refuses to sign or make keys itself', () => {
    const keyPair = nodeEd25519.generateKeyPair();
    const message = new TextEncoder().encode('custodia browser twin');
    const signature = nodeEd25519.sign(keyPair.seed, message);
    expect(browserEd25519.verify(keyPair.publicKey, message, signature)).toBe(true);
    expect(browserEd25519.verify(keyPair.publicKey, message.subarray(1), signature)).toBe(false);
    expect(() => browserEd25519.sign(keyPair.seed, message)).toThrow(/not available in the browser/);
    expect(() => browserEd25519.generateKeyPair()).toThrow(/not available in the browser/);
    expect(() => browserEd25519.keyPairFromSeed(keyPair.seed)).toThrow(/not available in the browser/);
  });
});

describe('sha256.browser.ts', () => {
  it('exports the same names and digests as sha256.ts', () => {
    expect(Object.keys(browserSha256).sort()).toEqual(Object.keys(nodeSha256).sort());
    for (const length of [0, 1, 55, 56, 64, 1000]) {
      const data = Uint8Array.from({ length }, (_, index) => (index * 31 + length) & 0xff);
      expect(browserSha256.sha256(data)).toEqual(nodeSha256.sha256(data));
    }
  });

  it('hashes a text as its UTF-8 bytes in both, lone surrogates as U+FFFD', () => {
    const encoder = new TextEncoder();
    for (const text of ['', 'a', 's:lot/urn:epc:id:sgtin:0614141.107346.2017', 'caf\u00e9 \u{1F955}', 'lone \uD800 high', 'lone \uDC00 low', 'x'.repeat(1000)]) {
      expect(nodeSha256.sha256Text(text)).toEqual(nodeSha256.sha256(encoder.encode(text)));
      expect(browserSha256.sha256Text(text)).toEqual(nodeSha256.sha256Text(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        expect(nodeSha256.sha256Text(text)).toEqual(nodeSha256.sha256(encoder.encode(text)));
      }),
    );
  });
});
