/**
 * State proofs (ledger/verify/state-proof.ts, docs/encoding.md section 16), built from a real
 * store as GET /v1/proofs/state/:key builds them: present and absent keys verify with the genesis
 * keys alone, through validator-set hand-overs; every tampering fails at the check it breaks;
 * `custodia verify --proof` reads them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signVote } from '../../../ledger/model/certificate.js';
import { sortWriteSet } from '../../../ledger/model/state.js';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { stateProofDocument } from '../../../ledger/store/state-proof-document.js';
import { verifyStateProof, type StateProof } from '../../../ledger/verify/state-proof.js';
import { runCliInProcess } from '../../support/run-cli.js';
import { writeStoredChain, type StoredChain } from '../../support/stored-chain.js';
import { testKey } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('state-proof');
const ITEM = 'item/urn:epc:id:sgtin:0614141.107346.2017';
const RECALLED_LOT = 'lot/urn:epc:class:lgtin:0614141.107346.LOT7';

/** Eight blocks: the item changes hands at 2 and 5, the lot is recalled at 4 and deleted at 7; the genesis set hands over at 3 and 6. */
async function fixture(): Promise<{ directory: string; stored: StoredChain; proofs: (key: string, checkpoint?: number) => Promise<StateProof> }> {
  const directory = await newDirectory();
  const stored = await writeStoredChain(directory, 8, {
    blockOptions: (height, chain) => ({
      // Each header states its parent's ledger, so block 8's states height 7, block 6's height 5.
      ledgerLag: 0,
      writes: sortWriteSet([
        { key: `h/${height}`, value: height },
        ...(height === 2 || height === 5 ? [{ key: ITEM, value: { possessor: `party-${height}`, quarantined: height === 5 } }] : []),
        ...(height === 4 ? [{ key: RECALLED_LOT, value: { recalls: ['r-1'] } }] : []),
        ...(height === 7 ? [{ key: RECALLED_LOT, value: null }] : []),
      ]),
      ...(height === 3 ? { nextValidators: chain.newValidators('second', 5) } : {}),
      ...(height === 6 ? { nextValidators: chain.newValidators('third', 4) } : {}),
    }),
  });
  const proofs = async (key: string, checkpoint?: number) => {
    const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis });
    if (!opened.ok) throw new Error(opened.message);
    try {
      const document = await stateProofDocument(opened.store, key, checkpoint);
      if (!document.ok) throw new Error(document.message);
      return document.proof;
    } finally {
      await opened.store.close();
    }
  };
  return { directory, stored, proofs };
}

const mutate = (proof: StateProof, change: (copy: any) => void): StateProof => {
  const copy = structuredClone(proof);
  change(copy);
  return copy;
};

describe('state proofs', () => {
  it('prove a present key’s value and an absent key’s absence at the height the checkpoint states, from the genesis keys through each hand-over', async () => {
    const { stored, proofs } = await fixture();
    const chain = stored.chain;
    const item = await proofs(ITEM);
    expect(item.height).toBe(7);
    expect(item.checkpoint.header.ledgerHeight).toBe(7);
    expect(item.epochChanges?.map((change) => change.header.height)).toEqual([3, 6]);
    expect(verifyStateProof(item, chain.chainId, chain.validators)).toMatchObject({ ok: true, key: ITEM, present: true, value: { possessor: 'party-5', quarantined: true }, checkpointHeight: 8, epoch: 2 });
    const never = await proofs('recall/never-issued');
    expect(verifyStateProof(never, chain.chainId, chain.validators)).toMatchObject({ ok: true, present: false, value: null });
    // Deleted at 7: absent as of the head's stated height, present as of block 5's.
    const deleted = await proofs(RECALLED_LOT);
    expect(verifyStateProof(deleted, chain.chainId, chain.validators)).toMatchObject({ ok: true, present: false });
    const earlier = await proofs(RECALLED_LOT, 6);
    expect(earlier.height).toBe(5);
    expect(verifyStateProof(earlier, chain.chainId, chain.validators)).toMatchObject({ ok: true, present: true, value: { recalls: ['r-1'] }, checkpointHeight: 6, epoch: 1 });
  });

  it('fail at the step that is wrong, saying what differs', async () => {
    const { stored, proofs } = await fixture();
    const chain = stored.chain;
    const present = await proofs(ITEM);
    const absent = await proofs('recall/never-issued');
    const outsider = testKey('not a validator');
    const otherKey = await proofs(`h/${present.height}`);
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['not a proof', { format: 'custodia-state-proof/1' }, 'format', /not a state proof/],
      ['a key longer than any state key', mutate(present, (copy) => (copy.key = 'k'.repeat(513))), 'format', /key/],
      ['more levels than key-hash nibbles', mutate(present, (copy) => (copy.proof.levels = Array(65).fill({ mask: 0, hashes: [] }))), 'format', /levels/],
      ['another chain', mutate(present, (copy) => (copy.chainId = 'other-chain')), 'chain', /other-chain/],
      ['an altered checkpoint header', mutate(present, (copy) => (copy.checkpoint.header.stateRoot = '00'.repeat(32))), 'checkpoint', /not the checkpoint header/],
      ['another height than the header states', mutate(present, (copy) => (copy.height -= 1)), 'checkpoint', /states the ledger at height/],
      ['a hand-over missing', mutate(present, (copy) => copy.epochChanges.shift()), 'epoch-change', /epoch change 0 \(block 6\)/],
      ['a certificate signed by an outsider', mutate(present, (copy) => (copy.checkpoint.certificate.signatures[0].signature = toHex(signVote(chain.chainId, outsider.seed, copy.checkpoint.certificate.vote, 2)))), 'certificate', /bad-signature/],
      ['a certificate short of a quorum', mutate(present, (copy) => copy.checkpoint.certificate.signatures.pop()), 'certificate', /insufficient-quorum/],
      ['a wrong value', mutate(present, (copy) => (copy.value.quarantined = false)), 'state', /the value of item/],
      ['a present key claimed absent', mutate(present, (copy) => (copy.value = null)), 'state', /the absence of item/],
      ['an absent key claimed present', mutate(absent, (copy) => (copy.value = { recalled: true })), 'state', /the value of recall/],
      ['another key with this key’s path', mutate(present, (copy) => (copy.key = RECALLED_LOT)), 'state', /not the root|names no other leaf|cannot be on/],
      ['this key with another key’s path', mutate(otherKey, (copy) => (copy.key = ITEM)), 'state', /not the root|own child/],
      ['a tampered sibling', mutate(present, (copy) => (copy.proof.levels[0].hashes[0] = (copy.proof.levels[0].hashes[0][0] === '0' ? '1' : '0') + copy.proof.levels[0].hashes[0].slice(1))), 'state', /not the root/],
      ['a level dropped', mutate(present, (copy) => copy.proof.levels.pop()), 'state', /not the root/],
      ['a sibling dropped', mutate(present, (copy) => copy.proof.levels[0].hashes.pop()), 'state', /hashes for the/],
    ];
    for (const [name, input, step, says] of cases) {
      const verdict = verifyStateProof(input, chain.chainId, chain.validators);
      expect(verdict, name).toMatchObject({ ok: false, step });
      expect(!verdict.ok && verdict.message, name).toMatch(says);
    }
  });

  it('are checked by custodia verify --proof, which says what it proved or what failed', async () => {
    const { directory, stored, proofs } = await fixture();
    const present = join(directory, 'present.json');
    const forged = join(directory, 'forged.json');
    const item = await proofs(ITEM);
    await writeFile(present, JSON.stringify(item));
    await writeFile(forged, JSON.stringify(mutate(item, (copy) => (copy.value.possessor = 'someone-else'))));
    const ok = await runCliInProcess(['verify', '--proof', present, '--genesis', stored.genesisFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`verified: ${ITEM} holds \\{.*\\} at height 7`));
    const failed = await runCliInProcess(['verify', '--proof', forged, '--genesis', stored.genesisFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^proof failed at state: /);
  });
});
