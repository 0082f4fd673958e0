/**
 * C2SP signed notes (c2sp.org/signed-note, "Format", "Signatures", "Ed25519 signatures"), with
 * the verifier-key strings of Go's golang.org/x/mod/sumdb/note ("vkeys").
 *
 * A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
 * `— <key name> base64(key ID || signature)`. A verifier is configured with keys (name, key ID,
 * algorithm, public key); it ignores signatures by keys it does not know, verifies every
 * signature by a key it knows, rejects the whole note when one of them fails, ignores a repeated
 * signature by one key (only the first counts), and rejects a note no known key signed. Those
 * are the spec's rules as Go's reference `note.Open` applies them; `test/ledger/tlog/` holds its
 * vectors and the spec's examples.
 *
 * Why a validator may sign a note text with its validator key (docs/transparency.md, "Security
 * argument"): every other Custodia signature covers `domainTag || digest`, and each domain tag
 * ends in a 0x00 byte (docs/encoding.md section 2.1). A note text is valid UTF-8 with no control
 * character but the newline, so it never contains 0x00: no note text equals any domain-tagged
 * message, and no note signature can be replayed as a vote, proposal, timeout, handshake or
 * transaction signature, nor the other way round.
 */
import { sha256 } from '../crypto/sha256.js';
import { sign, verify } from '../crypto/ed25519.js';
import { fromBase64, toBase64 } from '../encoding/base64.js';
import { concatBytes, utf8 } from '../encoding/hex.js';

/** Signature type bytes (signed-note, "Signature types"). */
export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_COSIGNATURE_ED25519 = 0x04;

export const NOTE_LIMITS = {
  /**
   * Signature lines one note may carry. The spec asks verifiers to accept at least 16; Go's
   * reference refuses more than 100, so Custodia neither accepts nor serves more.
   */
  signatureLinesMax: 100,
  /** Bytes of a whole signed note: 100 lines of a long name and an Ed25519 signature fit many times over. */
  noteBytesMax: 64 * 1024,
  /** Characters of one key name. */
  keyNameLengthMax: 256,
} as const;

export interface NoteSignature {
  name: string;
  /** The 32-bit key ID, big-endian, as the first four signature bytes carry it. */
  keyId: number;
  /** The signature bytes after the key ID. */
  signature: Uint8Array;
  /** The line's base64, as it came (key ID included). */
  base64: string;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  /** The signature type byte: 0x01 Ed25519 note signatures, 0x04 timestamped cosignatures. */
  type: number;
  publicKey: Uint8Array;
  /** Whether `signature` (the bytes after the key ID) is this key's signature on the note text. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export type NoteFailureCode = 'malformed' | 'invalid-signature' | 'unverified' | 'ambiguous-key';

export type ParsedNote = { ok: true; text: string; signatures: NoteSignature[] } | { ok: false; code: 'malformed'; message: string };

export type OpenedNote =
  | { ok: true; text: string; verified: Array<NoteSignature & { verifier: NoteVerifier }>; unverified: NoteSignature[] }
  | { ok: false; code: NoteFailureCode; message: string };

/** Go's unicode.IsSpace: the Latin-1 spaces and Unicode's space separators (JavaScript's \s adds U+FEFF, which Go's does not). */
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const SIGNATURE_PREFIX = '\u2014 ';
const KEY_ID_BYTES = 4;

/** Key names are non-empty and hold neither Unicode spaces nor '+' (signed-note, "Format"). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.length <= NOTE_LIMITS.keyNameLengthMax && !UNICODE_SPACE.test(name) && !name.includes('+') && isWellFormed(name);
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian (signed-note, "Signatures"). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function keyIdBytes(keyId: number): Uint8Array {
  return new Uint8Array([keyId >>> 24, (keyId >>> 16) & 255, (keyId >>> 8) & 255, keyId & 255]);
}

/** A signature line's base64: the key ID, then the signature (signed-note, "Signatures"). */
export function signatureLine(name: string, keyId: number, signature: Uint8Array): string {
  return `${SIGNATURE_PREFIX}${name} ${toBase64(concatBytes(keyIdBytes(keyId), signature))}\n`;
}

/** An Ed25519 note verifier (type 0x01) for a named key. */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: noteKeyId(name, SIGNATURE_TYPE_ED25519, publicKey),
    type: SIGNATURE_TYPE_ED25519,
    publicKey,
    verify: (text, signature) => verify(publicKey, text, signature),
  };
}

/** The signature line of an Ed25519 note signature over `text` (which ends in a newline). */
export function signNoteText(text: string, name: string, seed: Uint8Array, publicKey: Uint8Array): string {
  return signatureLine(name, noteKeyId(name, SIGNATURE_TYPE_ED25519, publicKey), sign(seed, utf8(text)));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeNote(input: Uint8Array | string): string | undefined {
  if (typeof input === 'string') return isWellFormed(input) ? input : undefined;
  try {
    return strictUtf8.decode(input);
  } catch {
    return undefined;
  }
}

function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

function utf8Length(text: string): number {
  return utf8(text).length;
}

/** Splits a signed note into its text and signature lines, without verifying anything. */
export function parseNote(input: Uint8Array | string): ParsedNote {
  const malformed = (message: string): ParsedNote => ({ ok: false, code: 'malformed', message });
  const bytes = typeof input === 'string' ? utf8Length(input) : input.length;
  if (bytes > NOTE_LIMITS.noteBytesMax) return malformed(`a note of ${bytes} bytes exceeds ${NOTE_LIMITS.noteBytesMax}`);
  const note = decodeNote(input);
  if (note === undefined) return malformed('the note is not valid UTF-8');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return malformed('the note holds a control character other than newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return malformed('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  let rest = note.slice(split + 2);
  if (rest.length === 0 || !rest.endsWith('\n')) return malformed('the signature block is empty or does not end in a newline');
  const signatures: NoteSignature[] = [];
  while (rest.length > 0) {
    const end = rest.indexOf('\n');
    const line = rest.slice(0, end);
    rest = rest.slice(end + 1);
    if (signatures.length === NOTE_LIMITS.signatureLinesMax) return malformed(`more than ${NOTE_LIMITS.signatureLinesMax} signature lines`);
    if (!line.startsWith(SIGNATURE_PREFIX)) return malformed('a signature line does not start with an em dash and a space');
    const body = line.slice(SIGNATURE_PREFIX.length);
    const space = body.indexOf(' ');
    const name = space < 0 ? body : body.slice(0, space);
    const encoded = space < 0 ? '' : body.slice(space + 1);
    const decoded = fromBase64(encoded);
    if (!isValidKeyName(name) || encoded === '' || decoded === undefined || decoded.length <= KEY_ID_BYTES) return malformed(`a bad signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const keyId = ((decoded[0]! << 24) | (decoded[1]! << 16) | (decoded[2]! << 8) | decoded[3]!) >>> 0;
    signatures.push({ name, keyId, signature: decoded.slice(KEY_ID_BYTES), base64: encoded });
  }
  return { ok: true, text, signatures };
}

/**
 * Opens a signed note against the keys the caller trusts (signed-note, "Signatures"; Go's
 * note.Open): at least one known key must have signed it.
 */
export function openNote(input: Uint8Array | string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const parsed = parseNote(input);
  if (!parsed.ok) return parsed;
  const byKey = new Map<string, NoteVerifier[]>();
  for (const verifier of verifiers) {
    const key = `${verifier.name}+${keyIdHex(verifier.keyId)}`;
    byKey.set(key, [...(byKey.get(key) ?? []), verifier]);
  }
  const textBytes = utf8(parsed.text);
  const verified: Array<NoteSignature & { verifier: NoteVerifier }> = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  for (const signature of parsed.signatures) {
    const key = `${signature.name}+${keyIdHex(signature.keyId)}`;
    const candidates = byKey.get(key);
    if (candidates === undefined) {
      const line = `${signature.name} ${signature.base64}`;
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        unverified.push(signature);
      }
      continue;
    }
    if (candidates.length > 1) return { ok: false, code: 'ambiguous-key', message: `ambiguous key ${key}` };
    // Only the first signature by a key counts; later ones are ignored unverified, as Go's reference does.
    if (seen.has(key)) continue;
    seen.add(key);
    const verifier = candidates[0]!;
    if (!verifier.verify(textBytes, signature.signature)) return { ok: false, code: 'invalid-signature', message: `invalid signature for key ${key}` };
    verified.push({ ...signature, verifier });
  }
  if (verified.length === 0) return { ok: false, code: 'unverified', message: 'note has no verifiable signatures' };
  return { ok: true, text: parsed.text, verified, unverified };
}
