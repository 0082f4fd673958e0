/**
 * Timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, "Format" and "Ed25519
 * signed message"): signature type 0x04, key ID SHA-256(name || "\n" || 0x04 || key)[:4], and a
 * signature that is the 8-byte big-endian POSIX timestamp followed by the Ed25519 signature of
 *
 *   cosignature/v1\n
 *   time <timestamp>\n
 *   <the checkpoint's note text>
 *
 * A cosignature states that, at that time, this was the largest consistent tree head the
 * cosigner had seen for the origin. The message starts with "cosignature/v1" and holds no zero
 * byte, so it is distinct from every Custodia domain-tagged message (note.ts).
 */
import { sign, verify } from '../crypto/ed25519.js';
import { concatBytes, utf8 } from '../encoding/hex.js';
import { noteKeyId, signatureLine, SIGNATURE_TYPE_COSIGNATURE_ED25519, type NoteVerifier } from './note.js';

const TIMESTAMP_BYTES = 8;
const ED25519_SIGNATURE_BYTES = 64;
/** Timestamps are u64 on the wire; JavaScript numbers are exact to 2^53, far beyond any real time in seconds. */
const TIMESTAMP_MAX = Number.MAX_SAFE_INTEGER;

export function cosignatureMessage(timestampSeconds: number, checkpointText: Uint8Array): Uint8Array {
  return concatBytes(utf8(`cosignature/v1\ntime ${timestampSeconds}\n`), checkpointText);
}

function timestampBytes(timestampSeconds: number): Uint8Array {
  const bytes = new Uint8Array(TIMESTAMP_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timestampSeconds));
  return bytes;
}

/** The timestamp a cosignature's bytes (after the key ID) carry, or undefined when they are not a timestamped Ed25519 signature. */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (signature.length !== TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES) return undefined;
  const value = new DataView(signature.buffer, signature.byteOffset, TIMESTAMP_BYTES).getBigUint64(0);
  return value > BigInt(TIMESTAMP_MAX) ? undefined : Number(value);
}

export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: noteKeyId(name, SIGNATURE_TYPE_COSIGNATURE_ED25519, publicKey),
    type: SIGNATURE_TYPE_COSIGNATURE_ED25519,
    publicKey,
    verify: (text, signature) => {
      const timestamp = cosignatureTimestamp(signature);
      return timestamp !== undefined && verify(publicKey, cosignatureMessage(timestamp, text), signature.subarray(TIMESTAMP_BYTES));
    },
  };
}

/** The signature line of a cosignature on a checkpoint's note text, made at `timestampSeconds`. */
export function cosign(checkpointText: string, name: string, seed: Uint8Array, publicKey: Uint8Array, timestampSeconds: number): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new RangeError(`invalid cosignature timestamp ${timestampSeconds}`);
  const signature = sign(seed, cosignatureMessage(timestampSeconds, utf8(checkpointText)));
  return signatureLine(name, noteKeyId(name, SIGNATURE_TYPE_COSIGNATURE_ED25519, publicKey), concatBytes(timestampBytes(timestampSeconds), signature));
}
