/**
 * The Node backend (node:crypto) and the reference backend (@noble point arithmetic) must give
 * the same verdict on every input, and that verdict must be the one Custodia's pinned rules
 * prescribe (ledger/crypto/ed25519-rules.ts; RFC 8032 section 5.1.7; "Taming the many EdDSAs").
 * Checked on the deterministic edge cases, on the committed vector file that other
 * implementations use, on every single-bit corruption of a signature and key, and on random
 * inputs with fast-check.
 */
import { readFileSync } from 'node:fs';
import * as noble from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../ledger/encoding/hex.js';
import { checkRegistrableKey, keyPairFromSeed, sign, verify } from '../../../ledger/crypto/ed25519.js';
import { verifyReference } from '../../../ledger/crypto/ed25519-reference.js';
import { isCanonicalScalar, passesEncodingRules } from '../../../ledger/crypto/ed25519-rules.js';
import { buildEdgeCases, laxEquation, renderVectorFile, seedFromLabel, type EdgeCaseVector } from './ed25519-edge-cases.js';

noble.hashes.sha512 = sha512;

const edgeCases = buildEdgeCases();
const vectorFileText = readFileSync(new URL('../../vectors/ed25519-rules.json', import.meta.url), 'utf8');
const vectorFile = JSON.parse(vectorFileText) as { description: string; vectors: EdgeCaseVector[] };

function verdicts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): { node: boolean; reference: boolean } {
  return { node: verify(publicKey, message, signature), reference: verifyReference(publicKey, message, signature) };
}

describe('generated edge cases', () => {
  it('cover every kind the rules distinguish', () => {
    const comments = edgeCases.map((edgeCase) => edgeCase.comment).join('\n');
    for (const kind of ['small-order key', 'mixed-order key', 'non-canonical public key', 'non-canonical R', 'S = L:', 'S = L + 1', 'S = 2^256 - 1', 'flipped', 'message last byte removed', 'bytes: invalid', 'RFC 8032']) {
      expect(comments).toContain(kind);
    }
    expect(edgeCases.filter((edgeCase) => edgeCase.expectedValid).length).toBeGreaterThan(50);
    expect(edgeCases.filter((edgeCase) => !edgeCase.expectedValid).length).toBeGreaterThan(150);
  });

  for (const edgeCase of edgeCases) {
    it(`${edgeCase.expectedValid ? 'valid' : 'invalid'}: ${edgeCase.comment}`, () => {
      expect(verdicts(edgeCase.publicKey, edgeCase.message, edgeCase.signature)).toEqual({
        node: edgeCase.expectedValid,
        reference: edgeCase.expectedValid,
      });
      expect(checkRegistrableKey(edgeCase.publicKey).ok).toBe(edgeCase.registrable);
      if (edgeCase.equation !== undefined) {
        // The case exercises what it claims: a lax verifier would find this equation holding.
        const expected =
          edgeCase.equation.holds === 'cofactorless'
            ? { cofactorless: true, cofactored: true }
            : { cofactorless: false, cofactored: true };
        expect(laxEquation(edgeCase.publicKey, edgeCase.message, edgeCase.signature, edgeCase.equation.hashedEncoding)).toEqual(expected);
      }
    });
  }

  it('noble verify is cofactored: it accepts the cofactored-only cases that the pinned rules refuse', () => {
    const cofactoredOnly = edgeCases.filter(
      (edgeCase) =>
        edgeCase.equation?.holds === 'cofactored-only' &&
        passesEncodingRules(edgeCase.publicKey, edgeCase.signature) &&
        !noble.Point.fromBytes(edgeCase.publicKey).isSmallOrder(),
    );
    expect(cofactoredOnly.length).toBeGreaterThan(10);
    for (const edgeCase of cofactoredOnly) {
      expect(noble.verify(edgeCase.signature, edgeCase.message, edgeCase.publicKey, { zip215: false })).toBe(true);
      expect(verify(edgeCase.publicKey, edgeCase.message, edgeCase.signature)).toBe(false);
    }
  });
});

describe('test/vectors/ed25519-rules.json', () => {
  it('is what the generator produces (rerun: npx tsx test/vectors/generate-ed25519-rules.ts)', () => {
    expect(vectorFileText).toBe(renderVectorFile());
  });

  it('holds lowercase hex and boolean fields only', () => {
    expect(vectorFile.vectors.length).toBe(edgeCases.length);
    for (const vector of vectorFile.vectors) {
      expect(Object.keys(vector).sort()).toEqual(['comment', 'expectedValid', 'message', 'publicKey', 'registrable', 'signature']);
      for (const field of [vector.publicKey, vector.message, vector.signature]) expect(field).toMatch(/^(?:[0-9a-f]{2})*$/);
      expect(typeof vector.expectedValid).toBe('boolean');
      expect(typeof vector.registrable).toBe('boolean');
    }
  });

  it('every vector gets its expected verdict from both backends and its registrability', () => {
    const mismatches: string[] = [];
    for (const vector of vectorFile.vectors) {
      const publicKey = fromHex(vector.publicKey);
      const message = fromHex(vector.message);
      const signature = fromHex(vector.signature);
      const { node, reference } = verdicts(publicKey, message, signature);
      const registrable = checkRegistrableKey(publicKey).ok;
      if (node !== vector.expectedValid || reference !== vector.expectedValid || registrable !== vector.registrable) {
        mismatches.push(`${vector.comment}: node ${node}, reference ${reference}, registrable ${registrable}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('single-bit corruption', () => {
  const seed = seedFromLabel('bit flips');
  const { publicKey } = keyPairFromSeed(seed);
  const message = fromHex('00112233445566778899aabbccddeeff');
  const signature = sign(seed, message);

  it('every one of the 768 bits of signature and key, flipped alone, makes both backends refuse', () => {
    expect(verdicts(publicKey, message, signature)).toEqual({ node: true, reference: true });
    const accepted: string[] = [];
    const combined = concatBytes(signature, publicKey);
    for (let bitIndex = 0; bitIndex < combined.length * 8; bitIndex++) {
      const corrupted = Uint8Array.from(combined);
      corrupted[bitIndex >> 3] = corrupted[bitIndex >> 3]! ^ (1 << (bitIndex & 7));
      const result = verdicts(corrupted.subarray(64), message, corrupted.subarray(0, 64));
      if (result.node || result.reference) accepted.push(`bit ${bitIndex}: ${JSON.stringify(result)}`);
    }
    expect(accepted).toEqual([]);
  });

  it('every bit of the message, flipped alone, makes both backends refuse', () => {
    for (let bitIndex = 0; bitIndex < message.length * 8; bitIndex++) {
      const corrupted = Uint8Array.from(message);
      corrupted[bitIndex >> 3] = corrupted[bitIndex >> 3]! ^ (1 << (bitIndex & 7));
      expect(verdicts(publicKey, corrupted, signature)).toEqual({ node: false, reference: false });
    }
  });
});

describe('random inputs (fast-check, fixed seed)', () => {
  const seedArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const messageArbitrary = fc.uint8Array({ maxLength: 300 });

  it('node sign equals noble sign, and both backends accept the signature', () => {
    fc.assert(
      fc.property(seedArbitrary, messageArbitrary, (seed, message) => {
        const signature = sign(seed, message);
        const publicKey = keyPairFromSeed(seed).publicKey;
        expect(toHex(signature)).toBe(toHex(noble.sign(message, seed)));
        expect(toHex(publicKey)).toBe(toHex(noble.getPublicKey(seed)));
        expect(verdicts(publicKey, message, signature)).toEqual({ node: true, reference: true });
      }),
      { seed: 20240601, numRuns: 150 },
    );
  });

  it('a flipped bit anywhere in key, signature or message is refused by both backends', () => {
    fc.assert(
      fc.property(seedArbitrary, messageArbitrary, fc.nat(), (seed, message, bitChoice) => {
        const publicKey = keyPairFromSeed(seed).publicKey;
        const combined = concatBytes(publicKey, sign(seed, message), message);
        const bitIndex = bitChoice % (combined.length * 8);
        combined[bitIndex >> 3] = combined[bitIndex >> 3]! ^ (1 << (bitIndex & 7));
        const result = verdicts(combined.subarray(0, 32), combined.subarray(96), combined.subarray(32, 96));
        expect(result).toEqual({ node: false, reference: false });
      }),
      { seed: 20240602, numRuns: 150 },
    );
  });

  it('arbitrary bytes get the same verdict from both backends', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 30, maxLength: 34 }),
        fc.uint8Array({ minLength: 62, maxLength: 66 }),
        messageArbitrary,
        (publicKey, signature, message) => {
          const result = verdicts(publicKey, message, signature);
          expect(result.node).toBe(result.reference);
        },
      ),
      { seed: 20240603, numRuns: 300 },
    );
  });

  it('malleated S (S + nL) is refused by both backends though the equation still holds mod L', () => {
    const groupOrder = noble.Point.CURVE().n;
    fc.assert(
      fc.property(seedArbitrary, messageArbitrary, fc.integer({ min: 1, max: 15 }), (seed, message, multiple) => {
        const publicKey = keyPairFromSeed(seed).publicKey;
        const signature = sign(seed, message);
        const scalarS = BigInt('0x' + toHex(signature.slice(32).reverse()));
        const malleated = scalarS + BigInt(multiple) * groupOrder;
        fc.pre(malleated < 1n << 256n);
        const encodedS = fromHex(malleated.toString(16).padStart(64, '0')).reverse();
        expect(isCanonicalScalar(encodedS)).toBe(false);
        const forged = concatBytes(signature.subarray(0, 32), encodedS);
        expect(verdicts(publicKey, message, forged)).toEqual({ node: false, reference: false });
      }),
      { seed: 20240604, numRuns: 100 },
    );
  });
});
