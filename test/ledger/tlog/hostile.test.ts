/**
 * Every C2SP parser takes bytes from the network: whatever they are given, they answer a value
 * and never throw, and what they accept re-encodes to exactly what they were given (one spelling
 * per meaning). Random input, and random changes to valid documents.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPairFromSeed } from '../../../ledger/crypto/ed25519.js';
import { fromBase64, toBase64 } from '../../../ledger/encoding/base64.js';
import { utf8 } from '../../../ledger/encoding/hex.js';
import { MemoryMerkleLog } from '../../../ledger/merkle/index.js';
import { chainOrigin, formatCheckpointText, parseCheckpointText, validatorKeyName, validatorVerifiers, verifyCheckpoint } from '../../../ledger/tlog/checkpoint.js';
import { openNote, parseNote, signNoteText } from '../../../ledger/tlog/note.js';
import { decodeEntryBundle, encodeTileIndex, parseTilePath, tilePath } from '../../../ledger/tlog/tiles.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../../ledger/tlog/tlog-proof.js';
import { parseVerifierKey } from '../../../ledger/tlog/verifier-keys.js';
import { formatAddCheckpoint, parseAddCheckpoint } from '../../../ledger/tlog/witness-request.js';

const RUNS = { numRuns: 200 };
const origin = chainOrigin('hostile');
const keys = [1, 2, 3, 4].map((seed) => ({ id: `validator-${seed}`, ...keyPairFromSeed(new Uint8Array(32).fill(seed)) }));
const policy = { origin, signers: validatorVerifiers(origin, keys), threshold: 3 };
const log = new MemoryMerkleLog();
for (let index = 0; index < 5; index++) log.append(utf8(`leaf ${index}`));
const text = formatCheckpointText({ origin, size: 5, rootHash: log.root() });
const note = `${text}\n${keys.slice(0, 3).map((key) => signNoteText(text, validatorKeyName(origin, key.id), key.seed, key.publicKey)).join('')}`;
const proof = formatTlogProof({ extra: utf8('leaf 2'), index: 2, path: log.inclusionProof(2), checkpoint: note });

/** A valid document with one character replaced, inserted or removed. */
function mutated(document: string) {
  return fc.tuple(fc.nat({ max: document.length - 1 }), fc.constantFrom('replace', 'insert', 'remove'), fc.string({ minLength: 1, maxLength: 1 })).map(([at, how, character]) => {
    if (how === 'remove') return document.slice(0, at) + document.slice(at + 1);
    return document.slice(0, at) + character + document.slice(how === 'replace' ? at + 1 : at);
  });
}

describe('hostile input to the C2SP parsers', () => {
  it('never throws on random text or bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), (random, bytes) => {
        parseNote(random);
        parseNote(bytes);
        openNote(random, policy.signers);
        verifyCheckpoint(random, policy);
        parseCheckpointText(random);
        parseVerifierKey(random);
        parseAddCheckpoint(random);
        parseTlogProof(random);
        verifyTlogProof(random, policy);
        parseTilePath(random.split('/'));
        decodeEntryBundle(bytes, 3);
        fromBase64(random);
      }),
      RUNS,
    );
  });

  it('accepts a changed checkpoint or proof only when it still means the same thing', () => {
    fc.assert(
      fc.property(mutated(note), (changed) => {
        const verdict = verifyCheckpoint(changed, policy);
        // A change can only land in a signature line that is then ignored (an unknown key) or dropped as a repeat: the text is the same.
        if (verdict.ok) expect(verdict.text).toBe(text);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(mutated(proof), (changed) => {
        const verdict = verifyTlogProof(changed, policy);
        if (verdict.ok) expect([verdict.index, verdict.checkpoint.size, toBase64(verdict.leaf)]).toEqual([2, 5, toBase64(utf8('leaf 2'))]);
      }),
      RUNS,
    );
  });

  it('round-trips what it accepts: tile paths, witness requests and base64', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 1, max: 256 }), fc.constantFrom<number | 'entries'>('entries', 0, 1, 5), (index, width, level) => {
        const path = tilePath({ level, index, width });
        expect(parseTilePath(path.split('/').slice(1))).toEqual({ level, index, width });
        expect(encodeTileIndex(index).replaceAll('x', '').replaceAll('/', '').replace(/^0+(?=\d)/, '')).toBe(String(index));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (random) => {
        const parsed = parseAddCheckpoint(random);
        if (parsed.ok) expect(formatAddCheckpoint(parsed.request)).toBe(random);
        const decoded = fromBase64(random);
        if (decoded !== undefined) expect(toBase64(decoded)).toBe(random);
      }),
      RUNS,
    );
  });
});
