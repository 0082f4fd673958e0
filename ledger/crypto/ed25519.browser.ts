/**
 * Ed25519 for the auditor UI's browser bundle: the twin of `ed25519.ts` with the same exports,
 * built on the reference verifier (@noble point arithmetic under the pinned rules of
 * `ed25519-rules.ts`) instead of node:crypto. `api/ui/build.mjs` substitutes this module for
 * `ed25519.ts`, so the browser runs `ledger/verify/proof.ts` unchanged. Auditors only verify;
 * signing stays with participants' own tools, so the signing functions refuse.
 */
import { checkRegistrableKey, verifyReference } from './ed25519-reference.js';

export { checkRegistrableKey };
export type { KeyCheck } from './ed25519-reference.js';

export interface KeyPair {
  publicKey: Uint8Array;
  seed: Uint8Array;
}

/** Kept for parity with `ed25519.ts`; the browser builds no key objects, so nothing is cached. */
export const publicKeyCacheEntriesMax = 0;

export function publicKeyCacheSize(): number {
  return 0;
}

function unavailable(what: string): never {
  throw new Error(`ed25519 ${what} is not available in the browser: the auditor UI only verifies`);
}

export function keyPairFromSeed(_seed: Uint8Array): KeyPair {
  return unavailable('key derivation');
}

export function generateKeyPair(): KeyPair {
  return unavailable('key generation');
}

export function sign(_seed: Uint8Array, _message: Uint8Array): Uint8Array {
  return unavailable('signing');
}

/** Rules 1-4 of `ed25519-rules.ts`, exactly as the reference oracle the Node backend is tested against. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyReference(publicKey, message, signature);
}
