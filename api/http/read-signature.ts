/**
 * Signed read requests: a participant proves who reads by signing the request with one of its
 * registered ed25519 keys, so an organisation needs no operator-issued token. The signed text is
 * the UTF-8 of
 *
 *   custodia-read/v1 \n <chainId> \n <METHOD> \n <path with query, as sent> \n <timestamp ms>
 *
 * carried in the headers x-custodia-participant, x-custodia-timestamp and x-custodia-signature
 * (128 lowercase hex digits). The first line binds the purpose and its version, so the signature
 * can never be mistaken for a transaction, vote or handshake signature (those sign a domain tag
 * followed by a 32-byte digest, never text starting with these bytes). The timestamp bounds
 * replay of a captured request to the accepted clock skew; a replayed read reveals nothing the
 * eavesdropper did not already see.
 */
import { sign, verify } from '../../ledger/crypto/ed25519.js';
import { toHex } from '../../ledger/encoding/hex.js';

export const READ_SIGNATURE_HEADERS = {
  participant: 'x-custodia-participant',
  timestamp: 'x-custodia-timestamp',
  signature: 'x-custodia-signature',
} as const;

/** How far a signed request's timestamp may be from the server's clock, either way. */
export const READ_SIGNATURE_CLOCK_SKEW_MS = 5 * 60 * 1000;

const PURPOSE_LINE = 'custodia-read/v1';
const encoder = new TextEncoder();

export function readRequestMessage(chainId: string, method: string, pathWithQuery: string, timestampMs: number): Uint8Array {
  return encoder.encode(`${PURPOSE_LINE}\n${chainId}\n${method.toUpperCase()}\n${pathWithQuery}\n${timestampMs}`);
}

/** The three headers of a signed read request. */
export function signReadRequest(
  chainId: string,
  participant: string,
  seed: Uint8Array,
  method: string,
  pathWithQuery: string,
  timestampMs: number,
): Record<string, string> {
  const signature = sign(seed, readRequestMessage(chainId, method, pathWithQuery, timestampMs));
  return {
    [READ_SIGNATURE_HEADERS.participant]: participant,
    [READ_SIGNATURE_HEADERS.timestamp]: String(timestampMs),
    [READ_SIGNATURE_HEADERS.signature]: toHex(signature),
  };
}

export function verifyReadRequest(publicKey: Uint8Array, chainId: string, method: string, pathWithQuery: string, timestampMs: number, signature: Uint8Array): boolean {
  return verify(publicKey, readRequestMessage(chainId, method, pathWithQuery, timestampMs), signature);
}
