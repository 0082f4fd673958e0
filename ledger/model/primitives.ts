/**
 * zod schemas for the primitive fields of every recorded structure (docs/encoding.md,
 * "Field types"). Bytes are lowercase hex; times are integer milliseconds since the Unix epoch.
 */
import { z } from 'zod';
import { CHAIN_ID_PATTERN } from '../crypto/domain.js';
import { LEDGER_LIMITS } from '../limits.js';

export const hashHex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 32-byte hash as 64 lowercase hex digits');
export const publicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 32-byte ed25519 public key as 64 lowercase hex digits');
export const signatureHex = z.string().regex(/^[0-9a-f]{128}$/, 'expected a 64-byte ed25519 signature as 128 lowercase hex digits');
export const chainId = z.string().regex(CHAIN_ID_PATTERN, 'expected a chain id: 1-64 of a-z 0-9 . _ -, starting with a letter or digit');
/** Participants are named by URNs (urn:epc:id:pgln:...), validators by short names; both fit this. */
export const identifier = z
  .string()
  .min(1)
  .max(LEDGER_LIMITS.identifierLengthMax)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:\-/#]*$/, 'expected an identifier of letters, digits and . _ : - / #');
export const nonNegativeInteger = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const unixMilliseconds = nonNegativeInteger;

/** Any JSON value. Canonicalisation (RFC 8785) refuses what JSON cannot carry, see canonical-json.ts. */
export const jsonValue = z.json();
