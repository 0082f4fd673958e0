import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyPairFromSeed } from '../../../ledger/crypto/ed25519.js';
import { toBase64 } from '../../../ledger/encoding/base64.js';
import { MemoryMerkleLog } from '../../../ledger/merkle/index.js';
import { utf8 } from '../../../ledger/encoding/hex.js';
import { cosign, cosignatureVerifier } from '../../../ledger/tlog/cosignature.js';
import { chainOrigin, formatCheckpointText, parseCheckpointText, validatorKeyName, validatorVerifiers, verifyCheckpoint, type CheckpointPolicy } from '../../../ledger/tlog/checkpoint.js';
import { signNoteText } from '../../../ledger/tlog/note.js';
import { bundleRange, decodeEntryBundle, encodeEntryBundle, encodeTileIndex, parseTilePath, tileExists, tilePath, tileWidthAt } from '../../../ledger/tlog/tiles.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../../ledger/tlog/tlog-proof.js';
import { formatAddCheckpoint, parseAddCheckpoint, parseTlogSize } from '../../../ledger/tlog/witness-request.js';
import { VECTORS_DIRECTORY } from '../../support/fixtures.js';

const spec = JSON.parse(readFileSync(join(VECTORS_DIRECTORY, 'c2sp', 'spec-examples.json'), 'utf8')) as {
  checkpoint: { note: string; origin: string; size: number; rootHashBase64: string };
  addCheckpoint: { body: string; oldSize: number; proofLines: number };
  tiles: { indexEncoding: Record<string, string>; size70000: Record<string, number>; size256: Record<string, number> };
};

const origin = chainOrigin('tlog-test');
const validators = [1, 2, 3, 4].map((seed) => ({ id: `validator-${seed - 1}`, ...keyPairFromSeed(new Uint8Array(32).fill(seed)) }));
const policy: CheckpointPolicy = { origin, signers: validatorVerifiers(origin, validators), threshold: 3 };

function signedBy(text: string, signers: typeof validators): string {
  return `${text}\n${signers.map((validator) => signNoteText(text, validatorKeyName(origin, validator.id), validator.seed, validator.publicKey)).join('')}`;
}

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  it('parses the spec’s example', () => {
    const text = spec.checkpoint.note.slice(0, spec.checkpoint.note.indexOf('\n\n') + 1);
    const parsed = parseCheckpointText(text);
    expect(parsed.ok && parsed.checkpoint.origin).toBe(spec.checkpoint.origin);
    expect(parsed.ok && parsed.checkpoint.size).toBe(spec.checkpoint.size);
    expect(parsed.ok && toBase64(parsed.checkpoint.rootHash)).toBe(spec.checkpoint.rootHashBase64);
    expect(parsed.ok && formatCheckpointText(parsed.checkpoint)).toBe(text);
  });

  it('refuses leading zeroes, short roots, missing lines and empty extensions', () => {
    const root = spec.checkpoint.rootHashBase64;
    for (const bad of [`o\n012\n${root}\n`, `o\n12\nAAAA\n`, `o\n12\n`, `\n12\n${root}\n`, `o\n12\n${root}\n\n`, `o\n12\n${root}`, `o\n-1\n${root}\n`, `o\n${2 ** 49}\n${root}\n`]) {
      expect(parseCheckpointText(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseCheckpointText(`o\n0\n${root}\next\n`)).toMatchObject({ ok: true, extensions: ['ext'] });
  });

  it('holds a k-of-n policy: a quorum of validator keys, each verified, unknown keys ignored', () => {
    const text = formatCheckpointText({ origin, size: 3, rootHash: new Uint8Array(32).fill(9) });
    expect(verifyCheckpoint(signedBy(text, validators.slice(0, 3)), policy)).toMatchObject({ ok: true, signers: validators.slice(0, 3).map((validator) => validatorKeyName(origin, validator.id)) });
    expect(verifyCheckpoint(signedBy(text, validators.slice(0, 2)), policy)).toMatchObject({ ok: false, code: 'below-threshold' });
    // f signatures repeated do not make a quorum: a key counts once.
    const repeated = signedBy(text, [validators[0]!, validators[1]!]);
    expect(verifyCheckpoint(repeated + repeated.slice(repeated.indexOf('\n\n') + 2), policy)).toMatchObject({ ok: false, code: 'below-threshold' });
    // An outsider's key under a validator's name has another key ID: ignored, not counted.
    const outsider = { ...keyPairFromSeed(new Uint8Array(32).fill(99)), id: 'validator-0' };
    expect(verifyCheckpoint(signedBy(text, [outsider, validators[1]!, validators[2]!]), policy)).toMatchObject({ ok: false, code: 'below-threshold' });
    // Another origin is refused even with every signature.
    const other = formatCheckpointText({ origin: 'custodia.tlog/other', size: 3, rootHash: new Uint8Array(32) });
    expect(verifyCheckpoint(signedBy(other, validators), policy)).toMatchObject({ ok: false, code: 'wrong-origin' });
  });

  it('counts witness cosignatures under their own threshold', () => {
    const text = formatCheckpointText({ origin, size: 3, rootHash: new Uint8Array(32).fill(9) });
    const witnessKeys = keyPairFromSeed(new Uint8Array(32).fill(50));
    const witness = cosignatureVerifier('witness.test/a', witnessKeys.publicKey);
    const withWitness = { ...policy, cosigners: { verifiers: [witness], threshold: 1 } };
    const note = signedBy(text, validators.slice(0, 3));
    expect(verifyCheckpoint(note, withWitness)).toMatchObject({ ok: false, code: 'below-cosigner-threshold' });
    const cosigned = note + cosign(text, 'witness.test/a', witnessKeys.seed, witnessKeys.publicKey, 1_767_225_600);
    expect(verifyCheckpoint(cosigned, withWitness)).toMatchObject({ ok: true, cosignatures: [{ name: 'witness.test/a' }] });
  });
});

describe('tiles (c2sp.org/tlog-tiles)', () => {
  it('encodes tile indices as the spec does and parses only canonical paths', () => {
    for (const [index, path] of Object.entries(spec.tiles.indexEncoding)) expect(encodeTileIndex(Number(index))).toBe(path);
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(parseTilePath('0/x001/x234/067'.split('/'))).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('2/x001/x234/067.p/7'.split('/'))).toEqual({ level: 2, index: 1234067, width: 7 });
    expect(parseTilePath('entries/005.p/255'.split('/'))).toEqual({ level: 'entries', index: 5, width: 255 });
    expect(tilePath({ level: 'entries', index: 1000, width: 3 })).toBe('tile/entries/x001/000.p/3');
    for (const bad of ['0/5', '0/x000/005', '00/005', '64/005', '0/005.p/0', '0/005.p/256', '0/005.p/07', '0/x005', '0/005/x001', 'e/005', '0/005.p', '0/-05']) {
      expect(parseTilePath(bad.split('/')), bad).toBeUndefined();
    }
  });

  it('sizes full and partial tiles as the spec’s examples do', () => {
    const { size70000, size256 } = spec.tiles;
    expect(tileWidthAt(0, size70000.fullLevel0! - 1, 70000)).toBe(256);
    expect(tileWidthAt(0, size70000.fullLevel0!, 70000)).toBe(size70000.partialLevel0);
    expect(tileWidthAt(1, size70000.fullLevel1! - 1, 70000)).toBe(256);
    expect(tileWidthAt(1, size70000.fullLevel1!, 70000)).toBe(size70000.partialLevel1);
    expect(tileWidthAt(2, 0, 70000)).toBe(size70000.partialLevel2);
    expect(tileWidthAt(3, 0, 70000)).toBe(0);
    expect(tileWidthAt(0, 0, 256)).toBe(256);
    expect(tileWidthAt(1, 0, 256)).toBe(size256.partialLevel1);
    expect(tileWidthAt(0, 1, 256)).toBe(0);
    expect(tileExists({ level: 0, index: 273, width: 112 }, 70000)).toBe(true);
    expect(tileExists({ level: 0, index: 273, width: 113 }, 70000)).toBe(false);
    expect(tileExists({ level: 'entries', index: 272, width: 7 }, 70000)).toBe(true);
  });

  it('round-trips entry bundles and refuses truncated or padded ones', () => {
    const entries = [utf8('a'), new Uint8Array(0), utf8('{"x":1}')];
    const bundle = encodeEntryBundle(entries);
    expect(decodeEntryBundle(bundle, 3)).toEqual(entries);
    expect(decodeEntryBundle(bundle, 2)).toBeUndefined();
    expect(decodeEntryBundle(bundle.slice(0, -1), 3)).toBeUndefined();
    expect(decodeEntryBundle(new Uint8Array([...bundle, 0]), 3)).toBeUndefined();
    expect(bundleRange(2, 10)).toEqual({ start: 512, end: 522 });
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(RangeError);
  });
});

describe('witness requests (c2sp.org/tlog-witness add-checkpoint)', () => {
  it('parses the spec’s example body and formats it back', () => {
    const parsed = parseAddCheckpoint(spec.addCheckpoint.body);
    expect(parsed.ok && parsed.request.oldSize).toBe(spec.addCheckpoint.oldSize);
    expect(parsed.ok && parsed.request.proof.length).toBe(spec.addCheckpoint.proofLines);
    expect(parsed.ok && parsed.request.checkpoint).toBe(spec.addCheckpoint.body.slice(spec.addCheckpoint.body.indexOf('\n\n') + 2));
    expect(parsed.ok && parsed.request.checkpoint.startsWith(`${spec.checkpoint.origin}\n${spec.checkpoint.size}\n`)).toBe(true);
    expect(parsed.ok && formatAddCheckpoint(parsed.request)).toBe(spec.addCheckpoint.body);
  });

  it('refuses hostile bodies', () => {
    const note = 'o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— k AAAAAQ==\n';
    const hash = `${'A'.repeat(43)}=\n`;
    for (const bad of [`old 01\n\n${note}`, `old 1\n`, `new 1\n\n${note}`, `old 0\n${hash}\n${note}`, `old 1\nAAAA\n\n${note}`, `old 1\n${hash.repeat(64)}\n${note}`, 'x'.repeat(100_000)]) {
      expect(parseAddCheckpoint(bad).ok).toBe(false);
    }
    expect(parseTlogSize('42\n')).toBe(42);
    for (const bad of ['042\n', '42', '42\n\n', '-1\n']) expect(parseTlogSize(bad)).toBeUndefined();
  });
});

describe('tlog-proof (c2sp.org/tlog-proof)', () => {
  const log = new MemoryMerkleLog();
  const leaves = Array.from({ length: 7 }, (_, index) => utf8(`{"leaf":${index}}`));
  for (const leaf of leaves) log.append(leaf);
  const text = formatCheckpointText({ origin, size: 7, rootHash: log.root() });
  const checkpoint = signedBy(text, validators.slice(0, 3));

  it('verifies offline from the leaf in extra and the validators’ keys', () => {
    const proof = formatTlogProof({ extra: leaves[4], index: 4, path: log.inclusionProof(4), checkpoint });
    expect(proof.startsWith('c2sp.org/tlog-proof@v1\nextra ')).toBe(true);
    expect(verifyTlogProof(proof, policy)).toMatchObject({ ok: true, index: 4, checkpoint: { size: 7 } });
    expect(parseTlogProof(proof)).toMatchObject({ ok: true, proof: { index: 4 } });
  });

  it('names the failed step', () => {
    const wrongLeaf = formatTlogProof({ extra: leaves[3], index: 4, path: log.inclusionProof(4), checkpoint });
    expect(verifyTlogProof(wrongLeaf, policy)).toMatchObject({ ok: false, step: 'inclusion' });
    const weak = formatTlogProof({ extra: leaves[4], index: 4, path: log.inclusionProof(4), checkpoint: signedBy(text, validators.slice(0, 2)) });
    expect(verifyTlogProof(weak, policy)).toMatchObject({ ok: false, step: 'checkpoint' });
    expect(verifyTlogProof('c2sp.org/tlog-proof@v2\nindex 0\n\n' + checkpoint, policy)).toMatchObject({ ok: false, step: 'format' });
    expect(verifyTlogProof(`c2sp.org/tlog-proof@v1\nindex 4\n\n${checkpoint}`, policy)).toMatchObject({ ok: false, step: 'format' });
  });
});
