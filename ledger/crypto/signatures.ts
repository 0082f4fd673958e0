/**
 * Purpose-bound signatures: the only way the rest of Custodia signs or verifies. Each call
 * names its purpose and chain (and, for consensus messages, the validator-set epoch), so the
 * domain tag can never be forgotten (docs/encoding.md).
 * Verification applies the pinned ed25519 rules of `ed25519-rules.ts`.
 */
import { signingMessage, type SigningPurpose } from './domain.js';
import { sign, verify } from './ed25519.js';

export function signFor(purpose: SigningPurpose, chainId: string, seed: Uint8Array, message: Uint8Array, epoch = 0): Uint8Array {
  return sign(seed, signingMessage(purpose, chainId, message, epoch));
}

export function verifyFor(
  purpose: SigningPurpose,
  chainId: string,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  epoch = 0,
): boolean {
  return verify(publicKey, signingMessage(purpose, chainId, message, epoch), signature);
}
