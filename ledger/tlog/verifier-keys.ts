/**
 * Verifier keys ("vkeys"), the text form of a note-signing public key that Go's
 * golang.org/x/mod/sumdb/note defined and C2SP refers to (c2sp.org/tlog-cosignature, "Format"):
 * `<name>+<key ID as 8 hex digits>+base64(signature type || public key)`. Known types: 0x01,
 * Ed25519 note signatures (a log's, or here each validator's), and 0x04, timestamped Ed25519
 * cosignatures (a witness's); both with a 32-byte key.
 */
import { fromBase64, toBase64 } from '../encoding/base64.js';
import { concatBytes } from '../encoding/hex.js';
import { cosignatureVerifier } from './cosignature.js';
import { ed25519NoteVerifier, isValidKeyName, keyIdHex, noteKeyId, SIGNATURE_TYPE_COSIGNATURE_ED25519, SIGNATURE_TYPE_ED25519, type NoteVerifier } from './note.js';

/** A vkey line is short; anything longer is not one. */
export const VERIFIER_KEY_LENGTH_MAX = 512;

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  return `${name}+${keyIdHex(noteKeyId(name, type, publicKey))}+${toBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

export function verifierKeyOf(verifier: NoteVerifier): string {
  return formatVerifierKey(verifier.name, verifier.type, verifier.publicKey);
}

export type VerifierKeyParse = { ok: true; verifier: NoteVerifier } | { ok: false; message: string };

export function parseVerifierKey(vkey: string): VerifierKeyParse {
  if (vkey.length > VERIFIER_KEY_LENGTH_MAX) return { ok: false, message: `a verifier key is at most ${VERIFIER_KEY_LENGTH_MAX} characters` };
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) return { ok: false, message: 'a verifier key is <name>+<key ID>+<base64 key>' };
  const name = vkey.slice(0, first);
  const hash = vkey.slice(first + 1, second);
  const key = fromBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name)) return { ok: false, message: 'the key name is empty or holds a space or +' };
  if (!/^[0-9a-fA-F]{8}$/.test(hash)) return { ok: false, message: 'the key ID is not 8 hexadecimal digits' };
  if (key === undefined || key.length === 0) return { ok: false, message: 'the key is not base64' };
  const type = key[0]!;
  const publicKey = key.slice(1);
  if (Number.parseInt(hash, 16) !== noteKeyId(name, type, publicKey)) return { ok: false, message: 'the key ID does not match the name and key' };
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_ED25519) return { ok: false, message: `unknown signature type ${type}` };
  if (publicKey.length !== 32) return { ok: false, message: 'an Ed25519 key is 32 bytes' };
  return { ok: true, verifier: type === SIGNATURE_TYPE_ED25519 ? ed25519NoteVerifier(name, publicKey) : cosignatureVerifier(name, publicKey) };
}
