import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { verifyReference } from '../../ledger/crypto/ed25519-reference.js';
import { verify } from '../../ledger/crypto/ed25519.js';
import { encodingVectors } from './encoding-vectors.js';

const vectors = JSON.parse(readFileSync(new URL('./encoding.json', import.meta.url), 'utf8'));
const hashText = (text: string) => toHex(sha256(utf8(text)));
const leaf = (data: Uint8Array) => toHex(sha256(concatBytes(new Uint8Array([0]), data)));

describe('encoding vectors (test/vectors/encoding.json)', () => {
  it('are exactly what the code produces today', () => {
    expect(encodingVectors()).toEqual(vectors);
  });

  it('follow docs/encoding.md when recomputed from first principles', () => {
    const chainId: string = vectors.chainId;
    for (const tag of vectors.domainTags) {
      expect(tag.hex).toBe(toHex(utf8(`custodia/v1/${tag.purpose}/${chainId}\u0000`)));
    }
    for (const structure of [vectors.genesis, vectors.blockHeader]) {
      expect(structure.canonical).toBe(canonicalize(structure.value));
      expect(structure.hash).toBe(hashText(structure.canonical));
    }
    expect(vectors.blockHeader.value.prevHash).toBe(vectors.genesis.hash);

    const transaction = vectors.transaction;
    expect(transaction.id).toBe(hashText(transaction.canonical));
    expect(transaction.signingMessage).toBe(vectors.domainTags[0].hex + transaction.id);
    for (const entry of transaction.signed.signatures) {
      for (const verifier of [verify, verifyReference]) {
        expect(verifier(fromHex(entry.publicKey), fromHex(transaction.signingMessage), fromHex(entry.signature))).toBe(true);
      }
    }
    const [leafData] = vectors.transactionRoot.leafData;
    expect(leafData).toBe(transaction.id + hashText(canonicalize(transaction.signed.signatures)));
    expect(vectors.transactionRoot.root).toBe(leaf(fromHex(leafData)));
    expect(vectors.blockHeader.value.txRoot).toBe(vectors.transactionRoot.root);

    // The binding's capture: the document wrapped as docs/encoding.md section 14 says, signed in headers.
    const capture = vectors.bindingCapture;
    const [signer, publicKey, signature] = capture.headers['custodia-signature'].split(' ');
    const wrapped = { chainId, type: 'epcis.capture', signers: [signer], nonce: capture.headers['custodia-nonce'], payload: { document: capture.document, captureErrorBehaviour: 'proceed' } };
    expect(capture.transactionBody).toEqual(wrapped);
    expect(capture.canonical).toBe(canonicalize(wrapped));
    expect(capture.id).toBe(hashText(capture.canonical));
    expect(capture.signingMessage).toBe(vectors.domainTags[0].hex + capture.id);
    expect(capture.headers['GS1-Capture-Error-Behaviour']).toBe('proceed');
    for (const verifier of [verify, verifyReference]) expect(verifier(fromHex(publicKey), fromHex(capture.signingMessage), fromHex(signature))).toBe(true);

    expect(vectors.ledgerEntry.canonical).toBe(canonicalize(vectors.ledgerEntry.value));
    expect(vectors.ledgerEntry.leafHash).toBe(leaf(utf8(vectors.ledgerEntry.canonical)));

    // The state tree, from first principles: a subtree of no key is the empty hash, of one key that key's leaf, else an internal node over its sixteen parts.
    const state = vectors.stateRoot;
    expect(state.emptySubtree).toBe('00'.repeat(32));
    const example = state.leafExample;
    expect(example.keyHash).toBe(hashText(example.key));
    expect(example.valueHash).toBe(hashText(canonicalize(example.value)));
    expect(example.leafHash).toBe(toHex(sha256(fromHex(`00${example.keyHash}${example.valueHash}`))));
    const nibble = (hash: string, index: number) => parseInt(hash[index]!, 16);
    const leafOf = (key: string, value: unknown) => toHex(sha256(fromHex(`00${hashText(key)}${hashText(canonicalize(value))}`)));
    const subtree = (entries: Array<{ keyHash: string; leaf: string }>, depth: number): string => {
      if (entries.length === 0) return state.emptySubtree;
      if (entries.length === 1) return entries[0]!.leaf;
      const children = Array.from({ length: 16 }, (_, slot) => subtree(entries.filter((entry) => nibble(entry.keyHash, depth) === slot), depth + 1));
      return toHex(sha256(fromHex(`01${children.join('')}`)));
    };
    const current = new Map<string, unknown>();
    const rootOf = (applied: Array<{ key: string; value: unknown }>) => {
      for (const write of applied) write.value === null ? current.delete(write.key) : current.set(write.key, write.value);
      return subtree([...current].map(([key, value]) => ({ keyHash: hashText(key), leaf: leafOf(key, value) })), 0);
    };
    expect(state.rootAtHeight0).toBe(rootOf(state.genesisWrites));
    expect(state.rootAtHeight1).toBe(rootOf(state.writes));
    for (const claim of state.proofsAtHeight1) {
      const keyHash = hashText(claim.key);
      const levels: Array<{ mask: number; hashes: string[] }> = claim.proof.levels;
      let node = claim.value !== null ? leafOf(claim.key, claim.value) : claim.proof.leaf === undefined ? state.emptySubtree : toHex(sha256(fromHex(`00${claim.proof.leaf.keyHash}${claim.proof.leaf.valueHash}`)));
      for (let depth = levels.length - 1; depth >= 0; depth--) {
        const others = [...levels[depth]!.hashes];
        const children = Array.from({ length: 16 }, (_, slot) => (slot === nibble(keyHash, depth) ? node : (levels[depth]!.mask >> (15 - slot)) & 1 ? others.shift()! : state.emptySubtree));
        node = toHex(sha256(fromHex(`01${children.join('')}`)));
      }
      expect(node, claim.key).toBe(state.rootAtHeight1);
      expect(current.get(claim.key) ?? null).toEqual(claim.value);
    }

    const vote = vectors.vote;
    expect(vote.value.blockHash).toBe(vectors.blockHeader.hash);
    expect(vote.digest).toBe(hashText(vote.canonical));
    expect(vote.signingMessage).toBe(vectors.domainTags[2].hex + vote.digest);
    for (const entry of vote.signatures) {
      const key = vectors.keys.find((candidate: { name: string }) => candidate.name === entry.validator);
      expect(verify(fromHex(key.publicKey), fromHex(vote.signingMessage), fromHex(entry.signature))).toBe(true);
    }
  });

  it('follow docs/encoding.md for validator-set epochs: hand-over headers and epoch-scoped votes', () => {
    const chainId: string = vectors.chainId;
    const epochs = vectors.epochs;
    const publicKeyOf = (name: string) => fromHex(vectors.keys.find((candidate: { name: string }) => candidate.name === name).publicKey);
    for (const tag of epochs.domainTags) {
      expect(tag.hex).toBe(toHex(utf8(`custodia/v1/${tag.purpose}/${chainId}/epoch-${tag.epoch}\u0000`)));
    }
    expect(epochs.domainTags.map((tag: { purpose: string }) => tag.purpose)).toEqual(['proposal', 'vote', 'timeout']);
    const epochVoteTag = epochs.domainTags.find((tag: { purpose: string }) => tag.purpose === 'vote').hex;
    const voteTag = vectors.domainTags.find((tag: { purpose: string }) => tag.purpose === 'vote').hex;

    for (const structure of [epochs.handOverHeader, epochs.epochHeader]) {
      expect(structure.canonical).toBe(canonicalize(structure.value));
      expect(structure.hash).toBe(hashText(structure.canonical));
    }
    // nextValidators is a header member like the others, sorted last by name.
    expect(epochs.handOverHeader.canonical.endsWith(`"nextValidators":${canonicalize(epochs.handOverHeader.value.nextValidators)},"prevHash":"${vectors.blockHeader.hash}","proposer":"validator-2","round":2,"stateRoot":"${vectors.stateRoot.rootAtHeight1}","timestamp":1767225603000,"txCount":0,"txRoot":"${hashText('')}"}`)).toBe(true);
    expect(epochs.epochHeader.value.prevHash).toBe(epochs.handOverHeader.hash);
    expect(epochs.epochHeader.value.nextValidators).toBeUndefined();

    // The hand-over is voted on by the outgoing (genesis) set under the epoch-0 tag ...
    const handOver = epochs.handOverVote;
    expect(handOver.value.blockHash).toBe(epochs.handOverHeader.hash);
    expect(handOver.digest).toBe(hashText(canonicalize(handOver.value)));
    expect(handOver.signingMessage).toBe(voteTag + handOver.digest);
    // ... and the next block by the set it names, under the epoch-1 tag, which epoch 0 never accepts.
    const next = epochs.epochVote;
    expect(next.value.blockHash).toBe(epochs.epochHeader.hash);
    expect(next.digest).toBe(hashText(canonicalize(next.value)));
    expect(next.signingMessage).toBe(epochVoteTag + next.digest);
    expect(next.signatures.map((entry: { validator: string }) => entry.validator)).toEqual(epochs.handOverHeader.value.nextValidators.map((member: { id: string }) => member.id));
    for (const [vote, message] of [[handOver, handOver.signingMessage], [next, next.signingMessage]] as const) {
      for (const entry of vote.signatures) {
        for (const verifier of [verify, verifyReference]) expect(verifier(publicKeyOf(entry.validator), fromHex(message), fromHex(entry.signature))).toBe(true);
      }
    }
    for (const entry of next.signatures) expect(verify(publicKeyOf(entry.validator), fromHex(voteTag + next.digest), fromHex(entry.signature))).toBe(false);
  });
});
