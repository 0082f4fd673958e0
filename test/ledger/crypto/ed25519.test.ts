/**
 * Tests of the ed25519 layer: RFC 8032 section 7.1 conformance of signing and key derivation,
 * the twelve ed25519-speccheck cases of "Taming the many EdDSAs" under Custodia's pinned rules,
 * the byte-level rules, key registration and the robustness of verify on hostile input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as noble from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../ledger/encoding/hex.js';
import {
  checkRegistrableKey,
  generateKeyPair,
  keyPairFromSeed,
  publicKeyCacheEntriesMax,
  publicKeyCacheSize,
  sign,
  verify,
} from '../../../ledger/crypto/ed25519.js';
import { verifyReference, type KeyCheck } from '../../../ledger/crypto/ed25519-reference.js';
import {
  PUBLIC_KEY_BYTES,
  SEED_BYTES,
  SIGNATURE_BYTES,
  isCanonicalPointEncoding,
  isCanonicalScalar,
  passesEncodingRules,
} from '../../../ledger/crypto/ed25519-rules.js';
import {
  FIELD_PRIME,
  GROUP_ORDER,
  NON_CANONICAL_SMALL_ORDER_ENCODINGS,
  RFC8032_VECTORS,
  TORSION_POINTS,
  bigIntToLittleEndian32,
  laxEquation,
  seedFromLabel,
} from './ed25519-edge-cases.js';
import { VECTORS_DIRECTORY } from '../../support/fixtures.js';

noble.hashes.sha512 = sha512;

type SpeccheckCase = { message: string; pub_key: string; signature: string };
const speccheckCases = JSON.parse(
  readFileSync(join(VECTORS_DIRECTORY, 'ed25519-speccheck', 'cases.json'), 'utf8'),
) as SpeccheckCase[];

function codeOf(check: KeyCheck): string {
  return check.ok ? 'ok' : check.code;
}

describe('RFC 8032 section 7.1 test vectors', () => {
  for (const vector of RFC8032_VECTORS) {
    it(`${vector.name}: key derivation, signature and verification`, () => {
      const seed = fromHex(vector.seed);
      const message = fromHex(vector.message);
      const keyPair = keyPairFromSeed(seed);
      expect(toHex(keyPair.publicKey)).toBe(vector.publicKey);
      expect(toHex(keyPair.seed)).toBe(vector.seed);
      const signature = sign(seed, message);
      expect(toHex(signature)).toBe(vector.signature);
      expect(toHex(noble.sign(message, seed))).toBe(vector.signature);
      expect(verify(keyPair.publicKey, message, signature)).toBe(true);
      expect(verifyReference(keyPair.publicKey, message, signature)).toBe(true);
      expect(checkRegistrableKey(keyPair.publicKey)).toEqual({ ok: true });
    });
  }
});

describe('signing and key generation', () => {
  it('sign is byte-identical to noble for seeds and messages of many lengths', () => {
    for (let index = 0; index < 24; index++) {
      const seed = seedFromLabel(`signing ${index}`);
      const message = seedFromLabel(`message ${index}`).subarray(0, index);
      expect(toHex(sign(seed, message))).toBe(toHex(noble.sign(message, seed)));
      expect(toHex(keyPairFromSeed(seed).publicKey)).toBe(toHex(noble.getPublicKey(seed)));
    }
  });

  it('returns plain 64-byte Uint8Arrays and keeps no alias to the caller seed', () => {
    const seed = seedFromLabel('alias');
    const signature = sign(seed, Uint8Array.of(1, 2, 3));
    expect(signature.length).toBe(SIGNATURE_BYTES);
    expect(Object.getPrototypeOf(signature)).toBe(Uint8Array.prototype);
    const keyPair = keyPairFromSeed(seed);
    expect(keyPair.publicKey.length).toBe(PUBLIC_KEY_BYTES);
    seed[0] = seed[0]! ^ 0xff;
    expect(keyPair.seed[0]).not.toBe(seed[0]);
  });

  it('generateKeyPair gives fresh registrable keys that sign and verify', () => {
    const first = generateKeyPair();
    const second = generateKeyPair();
    expect(first.seed.length).toBe(SEED_BYTES);
    expect(toHex(first.seed)).not.toBe(toHex(second.seed));
    expect(toHex(keyPairFromSeed(first.seed).publicKey)).toBe(toHex(first.publicKey));
    expect(checkRegistrableKey(first.publicKey)).toEqual({ ok: true });
    const message = Uint8Array.of(0xca, 0xfe);
    const signature = sign(first.seed, message);
    expect(verify(first.publicKey, message, signature)).toBe(true);
    expect(verify(second.publicKey, message, signature)).toBe(false);
  });

  it('refuses a seed that is not 32 bytes (a caller bug, so it throws)', () => {
    expect(() => sign(new Uint8Array(31), Uint8Array.of())).toThrow(RangeError);
    expect(() => sign(new Uint8Array(64), Uint8Array.of())).toThrow(RangeError);
    expect(() => keyPairFromSeed(new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('ed25519-speccheck cases (Taming the many EdDSAs)', () => {
  // The verdict each case gets under the pinned rules, with the rule that decides it.
  const expectations: { valid: boolean; registration: string; reason: string }[] = [
    { valid: true, registration: 'small-order', reason: 'canonical, S = 0 < L, R + [k]A = identity = [0]B holds cofactorless; small-order A is refused only at registration' },
    { valid: true, registration: 'small-order', reason: 'canonical, S < L, the equation holds cofactorless; small-order A refused at registration' },
    { valid: true, registration: 'mixed-order', reason: 'canonical, S < L, the equation holds cofactorless; mixed-order A refused at registration' },
    { valid: true, registration: 'mixed-order', reason: 'canonical, S < L, the torsion parts cancel so the equation holds cofactorless; mixed-order A refused at registration' },
    { valid: false, registration: 'mixed-order', reason: 'only the cofactored equation holds (rule 4 is cofactorless)' },
    { valid: false, registration: 'mixed-order', reason: 'R + [k]A - [S]B is a non-identity torsion point: only the cofactored equation holds' },
    { valid: false, registration: 'ok', reason: 'S > L (rule 3)' },
    { valid: false, registration: 'ok', reason: 'S >> L (rule 3)' },
    { valid: false, registration: 'mixed-order', reason: 'non-canonical R (rule 2)' },
    { valid: false, registration: 'mixed-order', reason: 'non-canonical R (rule 2)' },
    { valid: false, registration: 'non-canonical', reason: 'non-canonical A (rule 1)' },
    { valid: false, registration: 'non-canonical', reason: 'non-canonical A (rule 1)' },
  ];

  it('has the twelve published cases', () => {
    expect(speccheckCases).toHaveLength(expectations.length);
  });

  speccheckCases.forEach((testCase, index) => {
    const expectation = expectations[index]!;
    it(`case ${index}: ${expectation.valid ? 'valid' : 'invalid'}, because ${expectation.reason}`, () => {
      const publicKey = fromHex(testCase.pub_key);
      const message = fromHex(testCase.message);
      const signature = fromHex(testCase.signature);
      const nodeVerdict = verify(publicKey, message, signature);
      expect(nodeVerdict).toBe(verifyReference(publicKey, message, signature));
      expect(nodeVerdict).toBe(expectation.valid);
      expect(codeOf(checkRegistrableKey(publicKey))).toBe(expectation.registration);
    });
  });

  it('the reasons hold: which equation each of cases 0-5 satisfies, and which encoding 6-11 break', () => {
    const equations = speccheckCases.slice(0, 6).map((testCase) =>
      laxEquation(fromHex(testCase.pub_key), fromHex(testCase.message), fromHex(testCase.signature), 'received'),
    );
    expect(equations.slice(0, 4)).toEqual(Array(4).fill({ cofactorless: true, cofactored: true }));
    expect(equations[4]).toEqual({ cofactorless: false, cofactored: true });
    expect(equations[5]).toEqual({ cofactorless: false, cofactored: true });
    for (const index of [6, 7]) expect(isCanonicalScalar(fromHex(speccheckCases[index]!.signature).subarray(32))).toBe(false);
    for (const index of [8, 9]) expect(isCanonicalPointEncoding(fromHex(speccheckCases[index]!.signature).subarray(0, 32))).toBe(false);
    for (const index of [10, 11]) expect(isCanonicalPointEncoding(fromHex(speccheckCases[index]!.pub_key))).toBe(false);
  });
});

describe('byte-level rules', () => {
  const identity = fromHex('01' + '00'.repeat(31));

  it('isCanonicalPointEncoding accepts y < p and refuses y >= p', () => {
    expect(isCanonicalPointEncoding(identity)).toBe(true);
    expect(isCanonicalPointEncoding(bigIntToLittleEndian32(FIELD_PRIME - 1n))).toBe(true);
    for (let offset = 0n; offset < 19n; offset++) {
      const encoding = bigIntToLittleEndian32(FIELD_PRIME + offset);
      expect(isCanonicalPointEncoding(encoding)).toBe(false);
      encoding[31] = encoding[31]! | 0x80;
      expect(isCanonicalPointEncoding(encoding)).toBe(false);
    }
  });

  it('isCanonicalPointEncoding refuses the sign bit on the two x = 0 points and only there', () => {
    expect(isCanonicalPointEncoding(fromHex('01' + '00'.repeat(30) + '80'))).toBe(false);
    expect(isCanonicalPointEncoding(fromHex('ec' + 'ff'.repeat(30) + 'ff'))).toBe(false);
    expect(isCanonicalPointEncoding(fromHex('ec' + 'ff'.repeat(30) + '7f'))).toBe(true);
    expect(isCanonicalPointEncoding(fromHex('00'.repeat(31) + '80'))).toBe(true); // y = 0, x = -sqrt(-1)
    expect(isCanonicalPointEncoding(fromHex('02' + '00'.repeat(30) + '80'))).toBe(true);
    for (const encoding of NON_CANONICAL_SMALL_ORDER_ENCODINGS) expect(isCanonicalPointEncoding(fromHex(encoding.hex))).toBe(false);
  });

  it('isCanonicalPointEncoding agrees with noble strict decoding on whether y and sign bit are canonical', () => {
    for (const torsion of TORSION_POINTS) expect(isCanonicalPointEncoding(torsion.toBytes())).toBe(true);
    expect(isCanonicalPointEncoding(new Uint8Array(31))).toBe(false);
    expect(isCanonicalPointEncoding(new Uint8Array(33))).toBe(false);
  });

  it('isCanonicalScalar is S < L', () => {
    expect(isCanonicalScalar(new Uint8Array(32))).toBe(true);
    expect(isCanonicalScalar(bigIntToLittleEndian32(GROUP_ORDER - 1n))).toBe(true);
    expect(isCanonicalScalar(bigIntToLittleEndian32(GROUP_ORDER))).toBe(false);
    expect(isCanonicalScalar(bigIntToLittleEndian32(GROUP_ORDER + 1n))).toBe(false);
    expect(isCanonicalScalar(bigIntToLittleEndian32((1n << 253n) - 1n))).toBe(false);
    expect(isCanonicalScalar(bigIntToLittleEndian32((1n << 252n) - 1n))).toBe(true);
    expect(isCanonicalScalar(bigIntToLittleEndian32((1n << 256n) - 1n))).toBe(false);
    expect(isCanonicalScalar(new Uint8Array(31))).toBe(false);
  });

  it('passesEncodingRules checks lengths, A, R and S together', () => {
    const seed = seedFromLabel('encoding rules');
    const { publicKey } = keyPairFromSeed(seed);
    const signature = sign(seed, Uint8Array.of(7));
    expect(passesEncodingRules(publicKey, signature)).toBe(true);
    expect(passesEncodingRules(publicKey.subarray(0, 31), signature)).toBe(false);
    expect(passesEncodingRules(publicKey, signature.subarray(0, 63))).toBe(false);
    expect(passesEncodingRules(fromHex('ee' + 'ff'.repeat(30) + '7f'), signature)).toBe(false);
    expect(passesEncodingRules(publicKey, concatBytes(fromHex('ee' + 'ff'.repeat(30) + '7f'), signature.subarray(32)))).toBe(false);
    expect(passesEncodingRules(publicKey, concatBytes(signature.subarray(0, 32), bigIntToLittleEndian32(GROUP_ORDER)))).toBe(false);
  });
});

describe('checkRegistrableKey', () => {
  it('accepts ordinary keys', () => {
    for (let index = 0; index < 8; index++) {
      expect(checkRegistrableKey(keyPairFromSeed(seedFromLabel(`registrable ${index}`)).publicKey)).toEqual({ ok: true });
    }
  });

  it('refuses wrong lengths and non-byte input with bad-length', () => {
    for (const length of [0, 31, 33, 64]) expect(codeOf(checkRegistrableKey(new Uint8Array(length)))).toBe('bad-length');
    expect(codeOf(checkRegistrableKey('00'.repeat(32) as unknown as Uint8Array))).toBe('bad-length');
    expect(codeOf(checkRegistrableKey(undefined as unknown as Uint8Array))).toBe('bad-length');
  });

  it('refuses non-canonical encodings with non-canonical', () => {
    for (const encoding of NON_CANONICAL_SMALL_ORDER_ENCODINGS) expect(codeOf(checkRegistrableKey(fromHex(encoding.hex)))).toBe('non-canonical');
    for (let offset = 2n; offset < 19n; offset++) {
      expect(codeOf(checkRegistrableKey(bigIntToLittleEndian32(FIELD_PRIME + offset)))).toBe('non-canonical');
    }
  });

  it('refuses canonical encodings of no curve point with not-on-curve', () => {
    // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p.
    const notOnCurve = bigIntToLittleEndian32(2n);
    expect(() => noble.Point.fromBytes(notOnCurve)).toThrow();
    expect(codeOf(checkRegistrableKey(notOnCurve))).toBe('not-on-curve');
  });

  it('refuses all eight small-order points, the identity included, with small-order', () => {
    const codes = TORSION_POINTS.map((point) => codeOf(checkRegistrableKey(point.toBytes())));
    expect(codes).toEqual(Array(8).fill('small-order'));
    expect(new Set(TORSION_POINTS.map((point) => point.toHex())).size).toBe(8);
  });

  it('refuses [a]B + T for each non-identity torsion point T with mixed-order', () => {
    const primeOrder = noble.Point.fromBytes(keyPairFromSeed(seedFromLabel('mixed base')).publicKey);
    const codes = TORSION_POINTS.slice(1).map((torsion) => codeOf(checkRegistrableKey(primeOrder.add(torsion).toBytes())));
    expect(codes).toEqual(Array(7).fill('mixed-order'));
  });

  it('explains each refusal in its message', () => {
    const check = checkRegistrableKey(TORSION_POINTS[0]!.toBytes());
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(/small-order/);
  });
});

describe('verify on hostile input', () => {
  const seed = seedFromLabel('hostile');
  const { publicKey } = keyPairFromSeed(seed);
  const message = Uint8Array.of(1, 2, 3, 4);
  const signature = sign(seed, message);

  it('answers false, never throws, for arguments of the wrong type or size', () => {
    const junk: unknown[] = [undefined, null, 0, 'string', [], {}, new Uint16Array(32), new Uint8Array(0), new ArrayBuffer(32)];
    for (const value of junk) {
      const bytes = value as Uint8Array;
      expect(verify(bytes, message, signature)).toBe(false);
      expect(verify(publicKey, bytes, signature)).toBe(false);
      expect(verify(publicKey, message, bytes)).toBe(false);
      expect(verifyReference(bytes, message, signature)).toBe(false);
      expect(verifyReference(publicKey, bytes, signature)).toBe(false);
      expect(verifyReference(publicKey, message, bytes)).toBe(false);
    }
  });

  it('answers false for canonical 32-byte keys that are no curve point', () => {
    const notOnCurve = bigIntToLittleEndian32(2n);
    expect(verify(notOnCurve, message, signature)).toBe(false);
    expect(verifyReference(notOnCurve, message, signature)).toBe(false);
  });

  it('accepts Buffers and views into larger buffers', () => {
    const backing = new Uint8Array(200);
    backing.set(publicKey, 3);
    backing.set(signature, 50);
    backing.set(message, 150);
    const publicKeyView = backing.subarray(3, 35);
    const signatureView = backing.subarray(50, 114);
    const messageView = backing.subarray(150, 154);
    expect(verify(publicKeyView, messageView, signatureView)).toBe(true);
    expect(verifyReference(publicKeyView, messageView, signatureView)).toBe(true);
    expect(verify(Buffer.from(publicKey), Buffer.from(message), Buffer.from(signature))).toBe(true);
    expect(verifyReference(Buffer.from(publicKey), Buffer.from(message), Buffer.from(signature))).toBe(true);
  });

  it('keeps at most publicKeyCacheEntriesMax imported keys', () => {
    // Any canonical 32 bytes with a well-formed signature reach the import step.
    for (let index = 0; index <= publicKeyCacheEntriesMax + 10; index++) {
      const key = concatBytes(bigIntToLittleEndian32(BigInt(index) + 1000n).subarray(0, 31), Uint8Array.of(0x11));
      verify(key, message, signature);
    }
    expect(publicKeyCacheSize()).toBe(publicKeyCacheEntriesMax);
    expect(verify(publicKey, message, signature)).toBe(true);
  });
});
