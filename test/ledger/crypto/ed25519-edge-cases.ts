/**
 * Deterministic ed25519 edge cases for Custodia's pinned verification rules (header of
 * `ledger/crypto/ed25519-rules.ts`; RFC 8032 section 5.1.7; "Taming the many EdDSAs",
 * Chalkias et al. 2020). Shared by the tests and by `test/vectors/generate-ed25519-rules.ts`,
 * which writes them to `test/vectors/ed25519-rules.json` for other implementations.
 *
 * Every case is built from labelled SHA-512 output, never from a random source, so the file is
 * reproducible byte for byte. Each expected verdict follows from how the case was built (the
 * comment says which rule decides it). @noble/ed25519 points serve only for arithmetic, never for
 * a verification verdict; the one exception is the registrability of keys with a flipped bit,
 * which no construction fixes and which is computed here from noble's strict decoding and torsion
 * checks, independently of `checkRegistrableKey`.
 */
import * as noble from '@noble/ed25519';
import { Point } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { assert } from '../../../ledger/assert.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../../ledger/encoding/hex.js';

noble.hashes.sha512 = sha512;

export const GROUP_ORDER = Point.CURVE().n;
export const FIELD_PRIME = Point.CURVE().p;
const BASE = Point.BASE;
const IDENTITY = Point.ZERO;

/** How a case was built to behave if a verifier were lax about encodings and S (see `laxEquation`). */
export interface EquationClaim {
  holds: 'cofactorless' | 'cofactored-only';
  /** Whether k was computed over the bytes as given, or over the canonical re-encodings of A and R. */
  hashedEncoding: 'received' | 'reduced';
}

export interface EdgeCase {
  comment: string;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  expectedValid: boolean;
  registrable: boolean;
  equation?: EquationClaim;
}

export interface EdgeCaseVector {
  publicKey: string;
  message: string;
  signature: string;
  expectedValid: boolean;
  registrable: boolean;
  comment: string;
}

export function toVector(edgeCase: EdgeCase): EdgeCaseVector {
  return {
    publicKey: toHex(edgeCase.publicKey),
    message: toHex(edgeCase.message),
    signature: toHex(edgeCase.signature),
    expectedValid: edgeCase.expectedValid,
    registrable: edgeCase.registrable,
    comment: edgeCase.comment,
  };
}

// ---------------------------------------------------------------------------------------------
// Deterministic material and scalar helpers

function labelled(label: string): Uint8Array {
  return sha512(utf8(`custodia/ed25519-rules-vectors/${label}`));
}

export function littleEndianToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + toHex(Uint8Array.from(bytes).reverse()));
}

export function bigIntToLittleEndian32(value: bigint): Uint8Array {
  assert(value >= 0n && value < 1n << 256n, 'scalar does not fit in 32 bytes');
  return fromHex(value.toString(16).padStart(64, '0')).reverse();
}

/** A scalar in [1, L) from a label. */
function scalarFromLabel(label: string): bigint {
  return (littleEndianToBigInt(labelled(label)) % (GROUP_ORDER - 1n)) + 1n;
}

export function seedFromLabel(label: string): Uint8Array {
  return labelled(label).slice(0, 32);
}

function modOrder(value: bigint): bigint {
  const reduced = value % GROUP_ORDER;
  return reduced < 0n ? reduced + GROUP_ORDER : reduced;
}

function multiply(point: Point, scalar: bigint): Point {
  return point.multiply(modOrder(scalar), false);
}

export function challenge(encodedR: Uint8Array, encodedA: Uint8Array, message: Uint8Array): bigint {
  return littleEndianToBigInt(sha512(concatBytes(encodedR, encodedA, message))) % GROUP_ORDER;
}

function signature(encodedR: Uint8Array, scalarS: bigint): Uint8Array {
  return concatBytes(encodedR, bigIntToLittleEndian32(scalarS));
}

/** Searches labelled messages until the challenge k has the wanted effect on the torsion parts. */
function grindMessage(
  label: string,
  encodedR: Uint8Array,
  encodedA: Uint8Array,
  wanted: (challengeScalar: bigint) => boolean,
): { message: Uint8Array; challengeScalar: bigint } {
  for (let counter = 0; counter < 1000; counter++) {
    const message = utf8(`${label} #${counter}`);
    const challengeScalar = challenge(encodedR, encodedA, message);
    if (wanted(challengeScalar)) return { message, challengeScalar };
  }
  throw new Error(`no message found for ${label}`);
}

// ---------------------------------------------------------------------------------------------
// The torsion subgroup: the eight points of order dividing 8

/** A point of order 8 (its encoding is R in ed25519-speccheck case 0). */
const ORDER_EIGHT_POINT = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

/** torsion[i] = [i]T8; together they are every point of small order, identity included. */
export const TORSION_POINTS: readonly Point[] = Array.from({ length: 8 }, (_, index) =>
  index === 0 ? IDENTITY : ORDER_EIGHT_POINT.multiply(BigInt(index), false),
);

export function orderOfTorsionPoint(point: Point): number {
  for (const order of [1, 2, 4, 8]) if (point.multiply(BigInt(order), false).is0()) return order;
  throw new Error('not a torsion point');
}

/**
 * The six non-canonical encodings of small-order points: y + p for y in {0, 1} with either sign
 * bit (the only y < 19 on a small-order point), and the sign bit set on the x = 0 points.
 */
export const NON_CANONICAL_SMALL_ORDER_ENCODINGS: readonly { hex: string; description: string }[] = [
  { hex: 'ed' + 'ff'.repeat(30) + '7f', description: 'y = p (y = 0, order 4), sign bit 0' },
  { hex: 'ed' + 'ff'.repeat(30) + 'ff', description: 'y = p (y = 0, order 4), sign bit 1' },
  { hex: 'ee' + 'ff'.repeat(30) + '7f', description: 'y = p + 1 (the identity), sign bit 0' },
  { hex: 'ee' + 'ff'.repeat(30) + 'ff', description: 'y = p + 1 (the identity), sign bit 1' },
  { hex: '01' + '00'.repeat(30) + '80', description: 'y = 1 (the identity, x = 0) with the sign bit set' },
  { hex: 'ec' + 'ff'.repeat(30) + 'ff', description: 'y = p - 1 (order 2, x = 0) with the sign bit set' },
];

/** Lax decoding (ZIP 215): any y below 2^255, sign bit on x = 0 allowed. Undefined if no point. */
export function decodeLax(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, true);
  } catch {
    return undefined;
  }
}

function decodeStrict(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/**
 * What a lax verifier would find: decode A and R laxly, reduce S mod L, hash the given or the
 * re-encoded bytes, and report which equations hold. The tests use it to prove each crafted case
 * exercises what its comment says.
 */
export function laxEquation(
  publicKey: Uint8Array,
  message: Uint8Array,
  signatureBytes: Uint8Array,
  hashedEncoding: 'received' | 'reduced',
): { cofactorless: boolean; cofactored: boolean } | undefined {
  if (publicKey.length !== 32 || signatureBytes.length !== 64) return undefined;
  const encodedR = signatureBytes.subarray(0, 32);
  const publicPoint = decodeLax(publicKey);
  const commitment = decodeLax(encodedR);
  if (publicPoint === undefined || commitment === undefined) return undefined;
  const challengeScalar =
    hashedEncoding === 'received'
      ? challenge(encodedR, publicKey, message)
      : challenge(commitment.toBytes(), publicPoint.toBytes(), message);
  const scalarS = littleEndianToBigInt(signatureBytes.subarray(32, 64));
  const difference = commitment.add(multiply(publicPoint, challengeScalar)).subtract(multiply(BASE, scalarS));
  return { cofactorless: difference.is0(), cofactored: difference.clearCofactor().is0() };
}

/** Rule 5 computed straight from noble's strict decoding, independently of checkRegistrableKey. */
function registrableByArithmetic(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const point = decodeStrict(publicKey);
  return point !== undefined && !point.isSmallOrder() && point.isTorsionFree();
}

// ---------------------------------------------------------------------------------------------
// The cases

/** RFC 8032 section 7.1 test vectors (seed, public key, message, signature). */
export const RFC8032_VECTORS: readonly { name: string; seed: string; publicKey: string; message: string; signature: string }[] = [
  {
    name: 'TEST 1',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    seed: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

/** A prime-order key whose secret scalar is known, so signatures can be built by hand. */
function primeOrderKey(label: string): { seed: Uint8Array; publicKey: Uint8Array; scalar: bigint } {
  const seed = seedFromLabel(label);
  const extended = noble.utils.getExtendedPublicKey(seed);
  return { seed, publicKey: extended.pointBytes, scalar: extended.scalar };
}

function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bitIndex >> 3]! ^= 1 << (bitIndex & 7);
  return copy;
}

export function buildEdgeCases(): EdgeCase[] {
  const cases: EdgeCase[] = [];

  // Valid signatures from ordinary keys: the baseline every backend must accept.
  for (const vector of RFC8032_VECTORS) {
    cases.push({
      comment: `RFC 8032 section 7.1 ${vector.name}: valid`,
      publicKey: fromHex(vector.publicKey),
      message: fromHex(vector.message),
      signature: fromHex(vector.signature),
      expectedValid: true,
      registrable: true,
    });
  }
  const messageLengths = [0, 1, 31, 32, 33, 64, 127, 128, 1000];
  for (let keyIndex = 0; keyIndex < 8; keyIndex++) {
    const seed = seedFromLabel(`valid key ${keyIndex}`);
    const publicKey = noble.getPublicKey(seed);
    for (const length of messageLengths) {
      const message = Uint8Array.from({ length }, (_, index) => labelled(`valid message ${keyIndex}/${length}`)[index % 64]! ^ index);
      cases.push({
        comment: `signature by an ordinary key (seed ${keyIndex}) over a ${length}-byte message: valid`,
        publicKey,
        message,
        signature: noble.sign(message, seed),
        expectedValid: true,
        registrable: true,
      });
    }
  }

  // Small-order keys (rule 5 refuses them at registration, but verify itself only applies 1-4).
  TORSION_POINTS.forEach((torsion, index) => {
    const order = orderOfTorsionPoint(torsion);
    const encodedA = torsion.toBytes();
    const nonce = scalarFromLabel(`small-order key ${index} nonce`);
    const encodedR = multiply(BASE, nonce).toBytes();
    const annihilating = grindMessage(`small-order key ${index}, [k]A = O`, encodedR, encodedA, (k) => multiply(torsion, k).is0());
    cases.push({
      comment: `small-order key (torsion point ${index}, order ${order}), R = [r]B, S = r, message chosen so [k]A = identity: the cofactorless equation holds, valid; refused at registration`,
      publicKey: encodedA,
      message: annihilating.message,
      signature: signature(encodedR, nonce),
      expectedValid: true,
      registrable: false,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
    if (order === 1) return;
    const surviving = grindMessage(`small-order key ${index}, [k]A != O`, encodedR, encodedA, (k) => !multiply(torsion, k).is0());
    cases.push({
      comment: `small-order key (torsion point ${index}, order ${order}), R = [r]B, S = r, [k]A is not the identity: only the cofactored equation holds (rule 4), invalid`,
      publicKey: encodedA,
      message: surviving.message,
      signature: signature(encodedR, nonce),
      expectedValid: false,
      registrable: false,
      equation: { holds: 'cofactored-only', hashedEncoding: 'received' },
    });
    // As ed25519-speccheck case 0: A and R both small order and S = 0, with R = -[k]A.
    const negated = torsion.negate();
    const encodedNegated = negated.toBytes();
    const zeroScalar = grindMessage(`small-order key ${index}, S = 0`, encodedNegated, encodedA, (k) =>
      negated.add(multiply(torsion, k)).is0(),
    );
    cases.push({
      comment: `small-order key (torsion point ${index}, order ${order}), R = -A (small order), S = 0, message chosen so [k]A = A: R + [k]A = identity = [0]B holds cofactorless, valid; refused at registration`,
      publicKey: encodedA,
      message: zeroScalar.message,
      signature: signature(encodedNegated, 0n),
      expectedValid: true,
      registrable: false,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
  });

  // Non-canonical encodings of small-order keys (rule 1): refused whatever the equation says.
  for (const encoding of NON_CANONICAL_SMALL_ORDER_ENCODINGS) {
    const encodedA = fromHex(encoding.hex);
    const torsion = decodeLax(encodedA);
    assert(torsion !== undefined && torsion.isSmallOrder(), `${encoding.hex} should decode to a small-order point`);
    const nonce = scalarFromLabel(`non-canonical key ${encoding.hex} nonce`);
    const encodedR = multiply(BASE, nonce).toBytes();
    for (const hashedEncoding of ['received', 'reduced'] as const) {
      const hashedA = hashedEncoding === 'received' ? encodedA : torsion.toBytes();
      const found = grindMessage(`non-canonical key ${encoding.hex} ${hashedEncoding}`, encodedR, hashedA, (k) =>
        multiply(torsion, k).is0(),
      );
      cases.push({
        comment: `non-canonical public key ${encoding.description}; R = [r]B, S = r; the cofactorless equation holds with k over the ${hashedEncoding === 'received' ? 'received' : 'canonically re-encoded'} A bytes, but rule 1 refuses A: invalid`,
        publicKey: encodedA,
        message: found.message,
        signature: signature(encodedR, nonce),
        expectedValid: false,
        registrable: false,
        equation: { holds: 'cofactorless', hashedEncoding },
      });
    }
  }

  // Mixed-order keys A = [a]B + T: rule 4 alone decides per signature; rule 5 refuses the key.
  for (let index = 1; index < 8; index++) {
    const torsion = TORSION_POINTS[index]!;
    const order = orderOfTorsionPoint(torsion);
    const secret = scalarFromLabel(`mixed-order key ${index} secret`);
    const encodedA = multiply(BASE, secret).add(torsion).toBytes();
    const nonce = scalarFromLabel(`mixed-order key ${index} nonce`);
    const encodedR = multiply(BASE, nonce).toBytes();
    const annihilating = grindMessage(`mixed-order key ${index}, [k]T = O`, encodedR, encodedA, (k) => multiply(torsion, k).is0());
    cases.push({
      comment: `mixed-order key [a]B + T (T = torsion point ${index}, order ${order}), R = [r]B, S = r + ka, message chosen so [k]T = identity: cofactorless equation holds, valid; refused at registration`,
      publicKey: encodedA,
      message: annihilating.message,
      signature: signature(encodedR, modOrder(nonce + annihilating.challengeScalar * secret)),
      expectedValid: true,
      registrable: false,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
    const surviving = grindMessage(`mixed-order key ${index}, [k]T != O`, encodedR, encodedA, (k) => !multiply(torsion, k).is0());
    cases.push({
      comment: `mixed-order key [a]B + T (T = torsion point ${index}, order ${order}), R = [r]B, S = r + ka, [k]T is not the identity: only the cofactored equation holds (ed25519-speccheck case 4 kind), invalid`,
      publicKey: encodedA,
      message: surviving.message,
      signature: signature(encodedR, modOrder(nonce + surviving.challengeScalar * secret)),
      expectedValid: false,
      registrable: false,
      equation: { holds: 'cofactored-only', hashedEncoding: 'received' },
    });
    // As ed25519-speccheck case 3: A and R both of mixed order, torsion parts cancelling.
    const mixedR = multiply(BASE, nonce).add(torsion.negate());
    const encodedMixedR = mixedR.toBytes();
    const cancelling = grindMessage(`mixed-order key ${index}, mixed R`, encodedMixedR, encodedA, (k) =>
      torsion.negate().add(multiply(torsion, k)).is0(),
    );
    cases.push({
      comment: `mixed-order key [a]B + T (T = torsion point ${index}), mixed-order R = [r]B - T, S = r + ka, message chosen so [k]T = T: cofactorless equation holds (ed25519-speccheck case 3 kind), valid; refused at registration`,
      publicKey: encodedA,
      message: cancelling.message,
      signature: signature(encodedMixedR, modOrder(nonce + cancelling.challengeScalar * secret)),
      expectedValid: true,
      registrable: false,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
  }

  // A registrable key with a torsion component in R: rule 5 does not make rule 4 redundant.
  const ordinary = primeOrderKey('ordinary key for crafted R');
  TORSION_POINTS.forEach((torsion, index) => {
    const nonce = scalarFromLabel(`ordinary key, R with torsion ${index}`);
    const commitment = multiply(BASE, nonce).add(torsion);
    const encodedR = commitment.toBytes();
    const message = utf8(`ordinary key, R = [r]B + torsion point ${index}`);
    const challengeScalar = challenge(encodedR, ordinary.publicKey, message);
    cases.push({
      comment:
        index === 0
          ? 'ordinary key, R = [r]B, S = r + ka computed by hand: valid'
          : `ordinary key, R = [r]B + torsion point ${index}, S = r + ka: R + [k]A - [S]B is that torsion point, so only the cofactored equation holds, invalid though the key is registrable`,
      publicKey: ordinary.publicKey,
      message,
      signature: signature(encodedR, modOrder(nonce + challengeScalar * ordinary.scalar)),
      expectedValid: index === 0,
      registrable: true,
      equation: { holds: index === 0 ? 'cofactorless' : 'cofactored-only', hashedEncoding: 'received' },
    });
    const smallR = torsion.toBytes();
    const smallChallenge = challenge(smallR, ordinary.publicKey, message);
    cases.push({
      comment:
        index === 0
          ? 'ordinary key, R = identity (canonical 0100..00), S = ka: [S]B = R + [k]A holds and the rules put no order condition on R, valid'
          : `ordinary key, R = torsion point ${index} (small order), S = ka: only the cofactored equation holds, invalid`,
      publicKey: ordinary.publicKey,
      message,
      signature: signature(smallR, modOrder(smallChallenge * ordinary.scalar)),
      expectedValid: index === 0,
      registrable: true,
      equation: { holds: index === 0 ? 'cofactorless' : 'cofactored-only', hashedEncoding: 'received' },
    });
  });

  // Non-canonical R (rule 2), built so the equation would hold for a verifier that decodes it.
  for (const encoding of NON_CANONICAL_SMALL_ORDER_ENCODINGS) {
    const encodedR = fromHex(encoding.hex);
    const torsion = decodeLax(encodedR);
    assert(torsion !== undefined, `${encoding.hex} should decode laxly`);
    const secret = scalarFromLabel(`non-canonical R ${encoding.hex} key`);
    // A = [a]B + T_R, and [k + 1]T_R = identity makes R + [k]A = [ka]B.
    const encodedA = multiply(BASE, secret).add(torsion).toBytes();
    const keyIsPrimeOrder = torsion.is0();
    for (const hashedEncoding of ['received', 'reduced'] as const) {
      const hashedR = hashedEncoding === 'received' ? encodedR : torsion.toBytes();
      const found = grindMessage(`non-canonical R ${encoding.hex} ${hashedEncoding}`, hashedR, encodedA, (k) =>
        torsion.add(multiply(torsion, k)).is0(),
      );
      cases.push({
        comment: `non-canonical R ${encoding.description} (ed25519-speccheck cases 8/9 kind), S = ka, k over the ${hashedEncoding === 'received' ? 'received' : 'canonically re-encoded'} R bytes: the cofactorless equation holds for the decoded R, but rule 2 refuses R: invalid`,
        publicKey: encodedA,
        message: found.message,
        signature: signature(encodedR, modOrder(found.challengeScalar * secret)),
        expectedValid: false,
        registrable: keyIsPrimeOrder,
        equation: { holds: 'cofactorless', hashedEncoding },
      });
    }
  }

  // Non-canonical keys that are not small order: y = p + n for the other n < 19 on the curve.
  const valid = primeOrderKey('ordinary key for encoding cases');
  const validMessage = utf8('ordinary message');
  const validSignature = noble.sign(validMessage, valid.seed);
  for (let offset = 2n; offset < 19n; offset++) {
    const encodedA = bigIntToLittleEndian32(FIELD_PRIME + offset);
    if (decodeLax(encodedA) === undefined) continue;
    cases.push({
      comment: `non-canonical public key y = p + ${offset} (a curve point, not small order): rule 1 refuses it, invalid`,
      publicKey: encodedA,
      message: validMessage,
      signature: validSignature,
      expectedValid: false,
      registrable: false,
    });
  }

  // Canonical encodings that are not curve points.
  let notOnCurve: Uint8Array | undefined;
  for (let y = 2n; notOnCurve === undefined; y++) {
    const candidate = bigIntToLittleEndian32(y);
    if (decodeLax(candidate) === undefined) notOnCurve = candidate;
  }
  cases.push({
    comment: `public key y = ${littleEndianToBigInt(notOnCurve)} is canonical but no curve point has it (rule 1), invalid`,
    publicKey: notOnCurve,
    message: validMessage,
    signature: validSignature,
    expectedValid: false,
    registrable: false,
  });
  cases.push({
    comment: `R with y = ${littleEndianToBigInt(notOnCurve)}: canonical but not a curve point (rule 2), invalid`,
    publicKey: valid.publicKey,
    message: validMessage,
    signature: concatBytes(notOnCurve, validSignature.subarray(32)),
    expectedValid: false,
    registrable: true,
  });

  // S out of range (rule 3), each built so the equation holds once S is reduced mod L.
  const identityKey = IDENTITY.toBytes();
  const outOfRange: { scalarS: bigint; name: string }[] = [
    { scalarS: GROUP_ORDER, name: 'S = L' },
    { scalarS: GROUP_ORDER + 1n, name: 'S = L + 1' },
    { scalarS: (1n << 256n) - 1n, name: 'S = 2^256 - 1' },
  ];
  cases.push({
    comment: 'identity key, R = identity, S = 0 (the all-small case): [0]B = O + [k]O holds, valid; refused at registration',
    publicKey: identityKey,
    message: utf8('S = 0'),
    signature: signature(IDENTITY.toBytes(), 0n),
    expectedValid: true,
    registrable: false,
    equation: { holds: 'cofactorless', hashedEncoding: 'received' },
  });
  for (const { scalarS, name } of outOfRange) {
    const encodedR = multiply(BASE, scalarS).toBytes();
    cases.push({
      comment: `identity key, R = [S mod L]B, ${name}: the equation holds after reducing S, but rule 3 refuses S >= L, invalid`,
      publicKey: identityKey,
      message: utf8(name),
      signature: signature(encodedR, scalarS),
      expectedValid: false,
      registrable: false,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
    cases.push({
      comment: `ordinary key, R from a valid signature, ${name}: rule 3, invalid`,
      publicKey: valid.publicKey,
      message: validMessage,
      signature: concatBytes(validSignature.subarray(0, 32), bigIntToLittleEndian32(scalarS)),
      expectedValid: false,
      registrable: true,
    });
  }
  const validS = littleEndianToBigInt(validSignature.subarray(32));
  const largestMultiple = ((1n << 256n) - 1n - validS) / GROUP_ORDER;
  for (const multiple of [1n, 2n, largestMultiple]) {
    cases.push({
      comment: `ordinary key, valid signature with S + ${multiple}L (malleated, ed25519-speccheck cases 6/7 kind): rule 3, invalid`,
      publicKey: valid.publicKey,
      message: validMessage,
      signature: concatBytes(validSignature.subarray(0, 32), bigIntToLittleEndian32(validS + multiple * GROUP_ORDER)),
      expectedValid: false,
      registrable: true,
      equation: { holds: 'cofactorless', hashedEncoding: 'received' },
    });
  }
  cases.push({
    comment: 'ordinary key, S = 0 with the R of a valid signature: invalid',
    publicKey: valid.publicKey,
    message: validMessage,
    signature: concatBytes(validSignature.subarray(0, 32), new Uint8Array(32)),
    expectedValid: false,
    registrable: true,
  });

  // Tampered messages.
  const tamperedMessages: { message: Uint8Array; name: string }[] = [
    { message: flipBit(validMessage, 0), name: 'lowest bit of the first byte flipped' },
    { message: flipBit(validMessage, validMessage.length * 8 - 1), name: 'highest bit of the last byte flipped' },
    { message: validMessage.subarray(0, validMessage.length - 1), name: 'last byte removed' },
    { message: concatBytes(validMessage, Uint8Array.of(0)), name: 'a zero byte appended' },
    { message: new Uint8Array(0), name: 'empty' },
  ];
  for (const { message, name } of tamperedMessages) {
    cases.push({
      comment: `ordinary key, valid signature, message ${name}: invalid`,
      publicKey: valid.publicKey,
      message,
      signature: validSignature,
      expectedValid: false,
      registrable: true,
    });
  }
  cases.push({
    comment: 'valid signature checked against another ordinary key: invalid',
    publicKey: ordinary.publicKey,
    message: validMessage,
    signature: validSignature,
    expectedValid: false,
    registrable: true,
  });

  // One flipped bit in every byte of the signature and of the key (bit index = byte index mod 8).
  for (let byteIndex = 0; byteIndex < 64; byteIndex++) {
    cases.push({
      comment: `valid signature with bit ${byteIndex % 8} of byte ${byteIndex} flipped (${byteIndex < 32 ? 'R' : 'S'}): invalid`,
      publicKey: valid.publicKey,
      message: validMessage,
      signature: flipBit(validSignature, byteIndex * 8 + (byteIndex % 8)),
      expectedValid: false,
      registrable: true,
    });
  }
  for (let byteIndex = 0; byteIndex < 32; byteIndex++) {
    const publicKey = flipBit(valid.publicKey, byteIndex * 8 + (byteIndex % 8));
    cases.push({
      comment: `public key with bit ${byteIndex % 8} of byte ${byteIndex} flipped: invalid (registrable only if it happens to be a torsion-free curve point)`,
      publicKey,
      message: validMessage,
      signature: validSignature,
      expectedValid: false,
      registrable: registrableByArithmetic(publicKey),
    });
  }

  // Wrong lengths.
  for (const length of [0, 31, 33, 64]) {
    const publicKey = length <= 32 ? valid.publicKey.slice(0, length) : concatBytes(valid.publicKey, new Uint8Array(length - 32));
    cases.push({
      comment: `public key of ${length} bytes: invalid`,
      publicKey,
      message: validMessage,
      signature: validSignature,
      expectedValid: false,
      registrable: false,
    });
  }
  for (const length of [0, 32, 63, 65, 128]) {
    const signatureBytes =
      length <= 64 ? validSignature.slice(0, length) : concatBytes(validSignature, new Uint8Array(length - 64));
    cases.push({
      comment: `signature of ${length} bytes: invalid`,
      publicKey: valid.publicKey,
      message: validMessage,
      signature: signatureBytes,
      expectedValid: false,
      registrable: true,
    });
  }

  return cases;
}

/** The JSON document written to `test/vectors/ed25519-rules.json`, byte for byte. */
export function renderVectorFile(): string {
  const document = {
    description:
      "Custodia's pinned ed25519 verification rules (ledger/crypto/ed25519-rules.ts): canonical A and R that decode to curve points, S < L, cofactorless [S]B == R + [k]A with k = SHA-512(R || A || M) mod L over the received bytes; at registration A must be neither small-order nor mixed-order. expectedValid is the verdict of verify(publicKey, message, signature); registrable is whether checkRegistrableKey(publicKey) accepts the key. All fields are lowercase hex except the booleans and the comment. Generated by test/vectors/generate-ed25519-rules.ts; references: RFC 8032 section 5.1.7, Chalkias et al., Taming the many EdDSAs (2020).",
    vectors: buildEdgeCases().map(toVector),
  };
  return JSON.stringify(document, null, 2) + '\n';
}
