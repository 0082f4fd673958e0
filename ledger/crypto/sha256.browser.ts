/** SHA-256 for the browser bundle: the same function as `sha256.ts`, from @noble/hashes. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export const SHA256_BYTES = 32;

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

const utf8Encoder = new TextEncoder();

export function sha256Text(text: string): Uint8Array {
  return nobleSha256(utf8Encoder.encode(text));
}
