/**
 * The RFC 6962 / RFC 9162 reference tree used by Certificate Transparency implementations:
 * roots for sizes 0..8 from test/vectors/rfc6962, and the inclusion and consistency proofs
 * published in transparency-dev/merkle (proof/verify_test.go, Apache-2.0), copied here as
 * literals with their 1-based leaf numbers turned into 0-based indices.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../ledger/encoding/hex.js';
import {
  EMPTY_ROOT,
  MemoryMerkleLog,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../ledger/merkle/index.js';
import { VECTORS_DIRECTORY } from '../../support/fixtures.js';

interface ReferenceTree {
  leavesHex: string[];
  rootsBySize: Record<string, string>;
}

const reference = JSON.parse(
  readFileSync(join(VECTORS_DIRECTORY, 'rfc6962', 'reference-tree.json'), 'utf8'),
) as ReferenceTree;

function referenceRoot(size: number): string {
  const root = reference.rootsBySize[String(size)];
  if (root === undefined) throw new Error(`reference tree has no root for size ${size}`);
  return root;
}

const log = new MemoryMerkleLog();
for (const data of reference.leavesHex) log.append(fromHex(data));

const leafHashes = reference.leavesHex.map((data) => leafHash(fromHex(data)));

function leafAt(index: number): Uint8Array {
  const leaf = leafHashes[index];
  if (leaf === undefined) throw new Error(`reference tree has no leaf ${index}`);
  return leaf;
}

const inclusionVectors = [
  {
    leafIndex: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leafIndex: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leafIndex: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leafIndex: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  { leafIndex: 0, size: 1, proof: [] },
];

const consistencyVectors = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

describe('RFC 6962 reference tree', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(toHex(EMPTY_ROOT)).toBe(referenceRoot(0));
    expect(toHex(log.root(0))).toBe(referenceRoot(0));
  });

  it('gives the leaf hash as the root of a one-leaf tree', () => {
    expect(toHex(leafAt(0))).toBe(referenceRoot(1));
  });

  it('gives the node hash of two leaves as the root of a two-leaf tree', () => {
    expect(toHex(nodeHash(leafAt(0), leafAt(1)))).toBe(referenceRoot(2));
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('matches the reference root for size %i', (size) => {
    expect(toHex(log.root(size))).toBe(referenceRoot(size));
  });

  it.each(inclusionVectors)('builds and verifies the published inclusion proof for leaf $leafIndex of $size', (vector) => {
    expect(log.inclusionProof(vector.leafIndex, vector.size).map(toHex)).toEqual(vector.proof);
    const check = verifyInclusion(
      leafAt(vector.leafIndex),
      vector.leafIndex,
      vector.size,
      vector.proof.map(fromHex),
      fromHex(referenceRoot(vector.size)),
    );
    expect(check).toEqual({ ok: true });
  });

  it.each(consistencyVectors)('builds and verifies the published consistency proof from $oldSize to $newSize', (vector) => {
    expect(log.consistencyProof(vector.oldSize, vector.newSize).map(toHex)).toEqual(vector.proof);
    const check = verifyConsistency(
      vector.oldSize,
      vector.newSize,
      fromHex(referenceRoot(vector.oldSize)),
      fromHex(referenceRoot(vector.newSize)),
      vector.proof.map(fromHex),
    );
    expect(check).toEqual({ ok: true });
  });

  it('rejects a published inclusion proof checked against the wrong reference root', () => {
    const vector = inclusionVectors[0]!;
    const check = verifyInclusion(leafAt(0), 0, 8, vector.proof.map(fromHex), fromHex(referenceRoot(7)));
    expect(check).toEqual({ ok: false, reason: 'root mismatch' });
  });
});
