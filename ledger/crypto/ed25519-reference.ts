/**
 * Reference ed25519 verifier: RFC 8032 section 5.1.7 under Custodia's pinned rules (see the
 * header of `ed25519-rules.ts`), written out step by step on @noble/ed25519's point arithmetic.
 * Browser-safe (the auditor web UI verifies with it) and the oracle the Node backend is tested
 * against.
 *
 * noble's own `verify` is not used: it always checks the cofactored equation
 * [8]([S]B - R - [k]A) == identity, even with `zip215: false` (which only adds strict decoding
 * and a small-order key refusal), so it accepts signatures that OpenSSL and rule 4 refuse.
 */
import { Point } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { toHex } from '../encoding/hex.js';
import { PUBLIC_KEY_BYTES, isCanonicalPointEncoding, passesEncodingRules } from './ed25519-rules.js';

const GROUP_ORDER = Point.CURVE().n;

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + toHex(Uint8Array.from(bytes).reverse()));
}

/** Strict RFC 8032 section 5.1.3 decoding; undefined when the y has no matching x on the curve. */
function decodePoint(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/** Rules 1-4. Total: any input that is not a valid signature gives false, nothing throws. */
export function verifyReference(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) return false;
  if (!passesEncodingRules(publicKey, signature)) return false;
  const encodedR = signature.subarray(0, 32);
  const publicPoint = decodePoint(publicKey);
  const commitment = decodePoint(encodedR);
  if (publicPoint === undefined || commitment === undefined) return false;
  const scalarS = littleEndianToBigInt(signature.subarray(32, 64));
  const digest = sha512.create().update(encodedR).update(publicKey).update(message).digest();
  const challenge = littleEndianToBigInt(digest) % GROUP_ORDER;
  // Unsafe (variable-time) multiplication is fine: every operand here is public.
  const left = Point.BASE.multiply(scalarS, false);
  const right = commitment.add(publicPoint.multiply(challenge, false));
  return left.equals(right);
}

export type KeyCheck =
  | { ok: true }
  | {
      ok: false;
      code: 'bad-length' | 'non-canonical' | 'not-on-curve' | 'small-order' | 'mixed-order';
      message: string;
    };

/**
 * Rule 5, plus rule 1 so that one call tells a registrar everything: run when a key enters a
 * validator set or participant registry, not per signature (the torsion check costs a scalar
 * multiplication by L).
 */
export function checkRegistrableKey(publicKey: Uint8Array): KeyCheck {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    const length = publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : 'not a byte array';
    return { ok: false, code: 'bad-length', message: `an ed25519 public key is ${PUBLIC_KEY_BYTES} bytes, got ${length}` };
  }
  if (!isCanonicalPointEncoding(publicKey)) {
    return {
      ok: false,
      code: 'non-canonical',
      message: 'public key is a non-canonical point encoding (y >= p, or x = 0 with the sign bit set)',
    };
  }
  const point = decodePoint(publicKey);
  if (point === undefined) {
    return { ok: false, code: 'not-on-curve', message: 'public key does not decode to a point on edwards25519' };
  }
  if (point.isSmallOrder()) {
    return {
      ok: false,
      code: 'small-order',
      message: 'public key is a small-order point (order 1, 2, 4 or 8): signatures for it can be forged',
    };
  }
  if (!point.isTorsionFree()) {
    return {
      ok: false,
      code: 'mixed-order',
      message: 'public key has a torsion component (mixed order): cofactored and cofactorless verifiers would disagree on it',
    };
  }
  return { ok: true };
}
