import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../../ledger/encoding/base64.js';
import { keyPairFromSeed } from '../../../ledger/crypto/ed25519.js';
import { utf8 } from '../../../ledger/encoding/hex.js';
import { cosign, cosignatureMessage, cosignatureTimestamp, cosignatureVerifier } from '../../../ledger/tlog/cosignature.js';
import { keyIdHex, NOTE_LIMITS, noteKeyId, openNote, parseNote, signNoteText, SIGNATURE_TYPE_ED25519 } from '../../../ledger/tlog/note.js';
import { formatVerifierKey, parseVerifierKey } from '../../../ledger/tlog/verifier-keys.js';
import { VECTORS_DIRECTORY } from '../../support/fixtures.js';

const go = JSON.parse(readFileSync(join(VECTORS_DIRECTORY, 'c2sp', 'go-sumdb-note.json'), 'utf8')) as {
  vkeys: { PeterNeumann: string; EnochRoot: string };
  badVkeys: string[];
  skey: string;
  text: string;
  signedByPeter: string;
  peterSig: string;
  enochSig: string;
};
const spec = JSON.parse(readFileSync(join(VECTORS_DIRECTORY, 'c2sp', 'spec-examples.json'), 'utf8')) as {
  signedNote: { note: string; text: string; name: string; keyId: string };
  checkpoint: { note: string; cosignatureTimestamp: number; cosignedMessage: string; origin: string };
};

function verifier(vkey: string) {
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.verifier;
}
const peter = verifier(go.vkeys.PeterNeumann);
const enoch = verifier(go.vkeys.EnochRoot);
/** Go's skey: PRIVATE+KEY+<name>+<hash>+base64(0x01 || seed). */
const peterSeed = fromBase64(go.skey.split('+').slice(4).join('+'))!.slice(1);

describe('base64 (RFC 4648 section 4, strict)', () => {
  it('round-trips every length and refuses other spellings', () => {
    for (let length = 0; length < 8; length++) {
      const bytes = Uint8Array.from({ length }, (_, index) => index * 37 + 1);
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
    for (const bad of ['QQ', 'QQ=', 'QR==', 'Q===', 'QUJD\n', 'QU JD', 'QUJD-_==', '====']) expect(fromBase64(bad)).toBeUndefined();
  });
});

describe('verifier keys (Go sumdb/note TestNewVerifier)', () => {
  it('parses the vectors and derives their key IDs', () => {
    expect(peter.name).toBe('PeterNeumann');
    expect(keyIdHex(peter.keyId)).toBe('c74f20a3');
    expect(keyIdHex(enoch.keyId)).toBe('af0cfe78');
    expect(formatVerifierKey(peter.name, SIGNATURE_TYPE_ED25519, peter.publicKey)).toBe(go.vkeys.PeterNeumann);
  });

  it('refuses every substring and every one-byte change of a vkey, and the wrong-length and unknown-algorithm keys', () => {
    const vkey = go.vkeys.PeterNeumann;
    for (let start = 0; start <= vkey.length; start++) {
      for (let end = start + 1; end <= vkey.length; end++) {
        if (start === 0 && end === vkey.length) continue;
        expect(parseVerifierKey(vkey.slice(start, end)).ok, vkey.slice(start, end)).toBe(false);
      }
    }
    for (let position = 0; position < vkey.length; position++) {
      const changed = vkey.slice(0, position) + String.fromCharCode(vkey.charCodeAt(position) + 1) + vkey.slice(position + 1);
      expect(parseVerifierKey(changed).ok, changed).toBe(false);
    }
    for (const bad of go.badVkeys) expect(parseVerifierKey(bad).ok).toBe(false);
  });
});

describe('signing (Go sumdb/note TestSign)', () => {
  it('reproduces the reference signature byte for byte', () => {
    const keys = keyPairFromSeed(peterSeed);
    expect(signNoteText(go.text, 'PeterNeumann', peterSeed, keys.publicKey)).toBe(go.peterSig);
    expect(`${go.text}\n${go.peterSig}`).toBe(go.signedByPeter);
  });
});

describe('opening notes (Go sumdb/note TestOpen)', () => {
  const message = `${go.text}\n${go.peterSig}${go.enochSig}`;

  it('verifies known keys and keeps unknown ones unverified', () => {
    const one = openNote(message, [peter]);
    expect(one.ok && one.text).toBe(go.text);
    expect(one.ok && one.verified.map((signature) => signature.name)).toEqual(['PeterNeumann']);
    expect(one.ok && one.unverified.map((signature) => signature.name)).toEqual(['EnochRoot']);
    const both = openNote(message, [peter, enoch]);
    expect(both.ok && both.verified.map((signature) => signature.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(both.ok && both.unverified).toEqual([]);
  });

  it('rejects a note no known key signed', () => {
    expect(openNote(message, [])).toMatchObject({ ok: false, code: 'unverified' });
  });

  it('rejects an ambiguous key only when a signature uses it', () => {
    expect(openNote(`${go.text}\n${go.enochSig}`, [enoch, peter, enoch])).toMatchObject({ ok: false, code: 'ambiguous-key' });
    expect(openNote(`${go.text}\n${go.peterSig}`, [enoch, peter, enoch]).ok).toBe(true);
  });

  it('rejects more than 100 signature lines, verified or not', () => {
    expect(openNote(`${go.text}\n${go.peterSig.repeat(NOTE_LIMITS.signatureLinesMax + 1)}`, [peter])).toMatchObject({ ok: false, code: 'malformed' });
    expect(openNote(`${go.text}\n${go.peterSig.repeat(NOTE_LIMITS.signatureLinesMax + 1)}`, [])).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('rejects the whole note when a known key’s signature fails', () => {
    const broken = `${go.text}\n${go.peterSig.slice(0, 60)}ABCD${go.peterSig.slice(60)}`;
    expect(openNote(broken, [peter])).toMatchObject({ ok: false, code: 'invalid-signature', message: 'invalid signature for key PeterNeumann+c74f20a3' });
  });

  it('counts a key once and drops repeated unverified lines', () => {
    const enochBroken = `${go.enochSig.slice(0, 60)}ABCD${go.enochSig.slice(60)}`;
    const opened = openNote(`${go.text}\n${go.peterSig}${go.peterSig}${go.enochSig}${go.enochSig}${enochBroken}`, [peter]);
    expect(opened.ok && opened.verified.length).toBe(1);
    expect(opened.ok && opened.unverified.map((signature) => signature.base64)).toEqual([go.enochSig.split(' ')[2]!.trim(), enochBroken.split(' ')[2]!.trim()]);
  });

  it('rejects malformed encodings', () => {
    const bad = [
      go.text,
      `${go.text}\n`,
      `${go.text}\n${go.peterSig.slice(0, -1)}`,
      `\u0001${go.text}\n${go.peterSig}`,
      `${go.text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${go.text}\n${go.peterSig}Unexpected line.\n`,
    ];
    for (const message of bad) expect(openNote(message, [peter]), JSON.stringify(message)).toMatchObject({ ok: false, code: 'malformed' });
    // Go's "\xff" + text: bytes that are not UTF-8.
    expect(openNote(new Uint8Array([0xff, ...utf8(`${go.text}\n${go.peterSig}`)]), [peter])).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('hostile notes', () => {
  it('refuses oversized notes, names with a plus or a Unicode space, signatures without bytes, and control characters', () => {
    const huge = `${'a'.repeat(NOTE_LIMITS.noteBytesMax)}\n\n${go.peterSig}`;
    expect(parseNote(huge)).toMatchObject({ ok: false, code: 'malformed' });
    for (const name of ['a+b', 'a\u00a0b', 'a\u3000b', '']) expect(parseNote(`${go.text}\n— ${name} x08go/ZJku\n`).ok, name).toBe(false);
    expect(parseNote(`${go.text}\n— PeterNeumann x08g\n`).ok).toBe(false);
    expect(parseNote(`${go.text}\n— PeterNeumann \n`).ok).toBe(false);
    expect(parseNote(`a\tb\n\n${go.peterSig}`).ok).toBe(false);
    expect(parseNote(`a\rb\n\n${go.peterSig}`).ok).toBe(false);
    expect(parseNote(`${go.text}\n- PeterNeumann x08go/ZJku\n`).ok).toBe(false);
    // A lone surrogate cannot come from UTF-8; as a JavaScript string it is refused too.
    expect(parseNote(`\ud800\n\n${go.peterSig}`).ok).toBe(false);
  });

  it('finds the signatures after the last blank line, so the text may hold blank lines', () => {
    const parsed = parseNote(spec.signedNote.note);
    expect(parsed.ok && parsed.text).toBe(spec.signedNote.text);
    expect(parsed.ok && parsed.signatures.map((signature) => [signature.name, keyIdHex(signature.keyId)])).toEqual([[spec.signedNote.name, spec.signedNote.keyId]]);
  });
});

describe('timestamped cosignatures (c2sp.org/tlog-cosignature)', () => {
  it('reads the timestamp of the spec’s example cosignature and builds its signed message', () => {
    const parsed = parseNote(spec.checkpoint.note);
    const witness = parsed.ok ? parsed.signatures.find((signature) => signature.name === 'witness.example.com/w1') : undefined;
    expect(witness && cosignatureTimestamp(witness.signature)).toBe(spec.checkpoint.cosignatureTimestamp);
    const text = parsed.ok ? parsed.text : '';
    expect(new TextDecoder().decode(cosignatureMessage(spec.checkpoint.cosignatureTimestamp, utf8(text)))).toBe(spec.checkpoint.cosignedMessage);
  });

  it('signs with type 0x04 key IDs and verifies only the exact timestamp and text', () => {
    const keys = keyPairFromSeed(new Uint8Array(32).fill(7));
    const name = 'witness.test/w1';
    const text = 'origin.test/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const line = cosign(text, name, keys.seed, keys.publicKey, 1_700_000_000);
    const witness = cosignatureVerifier(name, keys.publicKey);
    expect(witness.keyId).toBe(noteKeyId(name, 0x04, keys.publicKey));
    expect(witness.keyId).not.toBe(noteKeyId(name, 0x01, keys.publicKey));
    expect(parseVerifierKey(formatVerifierKey(name, 0x04, keys.publicKey))).toMatchObject({ ok: true, verifier: { type: 0x04, keyId: witness.keyId } });
    expect(openNote(`${text}\n${line}`, [witness]).ok).toBe(true);
    expect(openNote(`${text.replace('5', '6')}\n${line}`, [witness])).toMatchObject({ ok: false, code: 'invalid-signature' });
    // The timestamp is signed: changing it (the bytes after the key ID) breaks the signature.
    const bytes = fromBase64(line.trim().split(' ')[2]!)!;
    bytes[11] = bytes[11]! ^ 1;
    expect(openNote(`${text}\n— ${name} ${toBase64(bytes)}\n`, [witness])).toMatchObject({ ok: false, code: 'invalid-signature' });
  });
});
