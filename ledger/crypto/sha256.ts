/**
 * SHA-256 (FIPS 180-4). Node's one-shot `crypto.hash` is used because it measured about 2x
 * faster than @noble/hashes for the 64-byte inputs of Merkle nodes and 5x for 1 KiB
 * transactions; `sha256.browser.ts` is the @noble twin for the web UI, and a test proves
 * both give identical digests.
 */
import { hash } from 'node:crypto';

export const SHA256_BYTES = 32;

export function sha256(data: Uint8Array): Uint8Array {
  return digestBytes(hash('sha256', data, 'binary'));
}

/**
 * The digest asked for as a 'binary' (latin1) string, one char per byte, and copied into a 32-byte array:
 * V8 keeps an array that small inside its heap, where a Buffer digest is a separately allocated
 * backing store for the collector to track, and 'binary' skips the 'buffer' encoding's slow check.
 */
function digestBytes(latin1: string): Uint8Array {
  const bytes = new Uint8Array(SHA256_BYTES);
  for (let index = 0; index < SHA256_BYTES; index++) bytes[index] = latin1.charCodeAt(index);
  return bytes;
}

/**
 * SHA-256 of a text's UTF-8 bytes (a lone surrogate as U+FFFD, as TextEncoder writes it): Node
 * encodes the text itself, so no byte array is made for it (the state tree hashes every written
 * key and value this way).
 */
export function sha256Text(text: string): Uint8Array {
  return digestBytes(hash('sha256', text, 'binary'));
}
