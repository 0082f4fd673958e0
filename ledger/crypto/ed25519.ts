/**
 * Ed25519 (RFC 8032, pure Ed25519 without context or prehash) on node:crypto: what validators
 * run. Verification applies Custodia's pinned rules (header of `ed25519-rules.ts`): the byte
 * checks of rules 1-3 run here first, because OpenSSL accepts some non-canonical encodings of A
 * (ed25519-speccheck case 11); OpenSSL then decodes A and checks the cofactorless equation by
 * encoding [S]B - [k]A and comparing it with the received R bytes, which equals rule 4 once R
 * is known to be canonical. `ed25519-reference.ts` is the independent oracle the tests hold this
 * backend to, and rule 5 (key registration) is shared with it.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { concatBytes, fromHex, toHex } from '../encoding/hex.js';
import { sha256 } from './sha256.js';
import { PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, passesEncodingRules } from './ed25519-rules.js';
import { checkRegistrableKey } from './ed25519-reference.js';

export { checkRegistrableKey };
export type { KeyCheck } from './ed25519-reference.js';

export interface KeyPair {
  publicKey: Uint8Array;
  seed: Uint8Array;
}

/** DER prefixes (RFC 8410) that turn raw key bytes into the SubjectPublicKeyInfo / PKCS #8 OpenSSL imports. */
const SUBJECT_PUBLIC_KEY_INFO_PREFIX = fromHex('302a300506032b6570032100');
const PRIVATE_KEY_INFO_PREFIX = fromHex('302e020100300506032b657004220420');

/**
 * Validators verify the same few hundred keys over and over; importing a KeyObject costs about
 * as much as a verification, so each key is imported once and kept in a bounded LRU map. The
 * bound keeps a flood of signatures under fresh keys from growing memory without limit.
 */
export const publicKeyCacheEntriesMax = 4096;
/** Signing keys: a node holds one or a few, so a small bound suffices. */
const privateKeyCacheEntriesMax = 64;

class LeastRecentlyUsedCache<Value> {
  readonly #entries = new Map<string, Value>();
  constructor(readonly entriesMax: number) {}

  get(key: string): Value | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Re-inserting moves the key to the end of Map's insertion order, the most recent slot.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: Value): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.entriesMax) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

const publicKeyObjects = new LeastRecentlyUsedCache<KeyObject>(publicKeyCacheEntriesMax);
const privateKeyObjects = new LeastRecentlyUsedCache<KeyObject>(privateKeyCacheEntriesMax);

/** Number of imported public keys held, for tests and metrics. */
export function publicKeyCacheSize(): number {
  return publicKeyObjects.size;
}

function cachedKeyObject(cache: LeastRecentlyUsedCache<KeyObject>, cacheKey: string, create: () => KeyObject): KeyObject {
  let keyObject = cache.get(cacheKey);
  if (keyObject === undefined) {
    keyObject = create();
    cache.set(cacheKey, keyObject);
  }
  return keyObject;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return cachedKeyObject(publicKeyObjects, toHex(publicKey), () =>
    createPublicKey({ key: Buffer.from(concatBytes(SUBJECT_PUBLIC_KEY_INFO_PREFIX, publicKey)), format: 'der', type: 'spki' }),
  );
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new RangeError(`an ed25519 seed is ${SEED_BYTES} bytes`);
  }
  const privateKeyInfo = concatBytes(PRIVATE_KEY_INFO_PREFIX, seed);
  // Keyed by a digest so that the map never holds the seed itself as an unerasable string.
  return cachedKeyObject(privateKeyObjects, toHex(sha256(privateKeyInfo)), () =>
    createPrivateKey({ key: Buffer.from(privateKeyInfo), format: 'der', type: 'pkcs8' }),
  );
}

function asPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** RFC 8032 section 5.1.5: the public key is derived from the 32-byte seed; deterministic. */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  const subjectPublicKeyInfo = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  const publicKey = Uint8Array.from(subjectPublicKeyInfo.subarray(subjectPublicKeyInfo.length - PUBLIC_KEY_BYTES));
  return { publicKey, seed: Uint8Array.from(seed) };
}

/** A fresh key pair from the operating system's CSPRNG. */
export function generateKeyPair(): KeyPair {
  const seed = asPlainBytes(randomBytes(SEED_BYTES));
  return keyPairFromSeed(seed);
}

/**
 * RFC 8032 section 5.1.6. Ed25519 signing is deterministic, so this is byte-identical to any
 * other conforming signer (the tests compare it with @noble/ed25519). Throws on a seed that is
 * not 32 bytes: that is a bug in the caller, not untrusted input.
 */
export function sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const signature = asPlainBytes(nodeSign(null, message, privateKeyObject(seed)));
  if (signature.length !== SIGNATURE_BYTES) throw new Error('node:crypto returned a malformed ed25519 signature');
  return signature;
}

/**
 * Rules 1-4 of `ed25519-rules.ts`. Never throws: a peer controls every argument, and any input
 * that is not a valid signature is answered with false.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) return false;
  if (!passesEncodingRules(publicKey, signature)) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // OpenSSL imports any 32 bytes and refuses off-curve keys inside verify, so this is only a
    // guard: a peer's bytes must never turn into an exception in the validator's message loop.
    return false;
  }
}
