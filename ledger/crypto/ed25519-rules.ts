/**
 * Custodia's pinned ed25519 verification rules: the byte-level half, shared by the Node backend
 * (`ed25519.ts`, node:crypto) and the reference backend (`ed25519-reference.ts`, @noble point
 * arithmetic). Browser-safe: no node: imports.
 *
 * Ed25519 as written in RFC 8032 section 5.1.7 leaves room for implementations to disagree on
 * which signatures are valid (non-canonical encodings, S >= L, cofactored vs cofactorless
 * equation, small-order keys); "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020)
 * catalogues the disagreements. In a BFT ledger every validator must reach the same verdict on
 * every signature, or a Byzantine signer can split the honest validators. So the rules are
 * pinned, and every backend Custodia runs must give one verdict per input:
 *
 *  1. Public key A: exactly 32 bytes, a canonical encoding (the 255-bit y is below
 *     p = 2^255 - 19, and the two encodings with x = 0 but the sign bit set are refused), and it
 *     decodes to a curve point.
 *  2. R, the first 32 bytes of the 64-byte signature: the same canonical-encoding rule, and it
 *     decodes to a curve point.
 *  3. S, the last 32 bytes read little-endian: S < L, where L = 2^252 + 27742317777372353535851937790883648493
 *     (RFC 8032 section 5.1.7 step 1 and "Taming" section 5: refusing S >= L removes malleability).
 *  4. The cofactorless equation [S]B == R + [k]A, with k = SHA-512(R || A || M) mod L computed
 *     over the bytes as received (with rules 1-2 they are the only encodings anyway). Cofactorless
 *     because that is what OpenSSL (node:crypto) computes; the cofactored [8][S]B == [8]R + [8][k]A
 *     that RFC 8032 permits would accept more signatures for keys with a torsion component.
 *  5. At key registration, never per verification: A must not have small order (the eight torsion
 *     points, including the identity) nor mixed order (it must be torsion-free, [L]A == identity).
 *     Anyone can forge for a small-order key (with A = identity, R = [S]B verifies for every
 *     message), and the holder of a mixed-order key can craft signatures that pass the cofactored
 *     equation but not the cofactorless one, the split "Taming" section 3 shows between libraries.
 *     It is checked once per key, because [L]A costs a full scalar multiplication.
 *
 * This module holds the checks of rules 1-3 that need no point arithmetic. Decoding to a curve
 * point (rules 1-2), the equation (rule 4) and registration (rule 5) belong to the backends.
 */

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const SEED_BYTES = 32;

const POINT_BYTES = 32;
const SCALAR_BYTES = 32;

/** L, the order of the base point, little-endian, so it can be compared byte by byte. */
const GROUP_ORDER_LITTLE_ENDIAN = Uint8Array.of(
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
);

function isByteArray(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * The y coordinate (sign bit cleared) is at least p = 2^255 - 19 exactly when bytes 1..30 are
 * 0xff, the top byte is 0x7f and the low byte is at least 0xed; those 19 values are the only
 * non-reduced spellings of a field element.
 */
function isUnreducedFieldElement(bytes: Uint8Array): boolean {
  if ((bytes[31]! & 0x7f) !== 0x7f) return false;
  for (let index = 30; index >= 1; index--) if (bytes[index] !== 0xff) return false;
  return bytes[0]! >= 0xed;
}

/**
 * x = 0 happens only for y = 1 (the identity) and y = p - 1 (the point of order 2); for them the
 * sign bit can only be 0, and the form with the bit set is a second spelling of the same point.
 */
function isZeroXWithSignBit(bytes: Uint8Array): boolean {
  if ((bytes[31]! & 0x80) === 0) return false;
  const top = bytes[31]! & 0x7f;
  let middleAllZero = true;
  let middleAllOnes = true;
  for (let index = 1; index <= 30; index++) {
    if (bytes[index] !== 0x00) middleAllZero = false;
    if (bytes[index] !== 0xff) middleAllOnes = false;
  }
  const yIsOne = bytes[0] === 0x01 && middleAllZero && top === 0x00;
  const yIsPMinusOne = bytes[0] === 0xec && middleAllOnes && top === 0x7f;
  return yIsOne || yIsPMinusOne;
}

/**
 * Rules 1 and 2, byte part: 32 bytes, y < p, and no sign bit on an x = 0 point. Whether the
 * bytes decode to a point at all is left to the backend, which has to decode them anyway.
 */
export function isCanonicalPointEncoding(bytes: Uint8Array): boolean {
  if (!isByteArray(bytes) || bytes.length !== POINT_BYTES) return false;
  return !isUnreducedFieldElement(bytes) && !isZeroXWithSignBit(bytes);
}

/** Rule 3: a 32-byte little-endian integer strictly below L. */
export function isCanonicalScalar(bytes: Uint8Array): boolean {
  if (!isByteArray(bytes) || bytes.length !== SCALAR_BYTES) return false;
  for (let index = SCALAR_BYTES - 1; index >= 0; index--) {
    const byte = bytes[index]!;
    const orderByte = GROUP_ORDER_LITTLE_ENDIAN[index]!;
    if (byte < orderByte) return true;
    if (byte > orderByte) return false;
  }
  return false; // equal to L
}

/**
 * Lengths and rules 1-3 byte checks for a (public key, signature) pair. Total on any input:
 * callers pass untrusted bytes straight from the network.
 */
export function passesEncodingRules(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!isByteArray(publicKey) || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  if (!isByteArray(signature) || signature.length !== SIGNATURE_BYTES) return false;
  return (
    isCanonicalPointEncoding(publicKey) &&
    isCanonicalPointEncoding(signature.subarray(0, POINT_BYTES)) &&
    isCanonicalScalar(signature.subarray(POINT_BYTES, SIGNATURE_BYTES))
  );
}
