import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { blockHash } from '../../../ledger/model/block.js';
import { signVote, type VoteData } from '../../../ledger/model/certificate.js';
import { verifyTransactionProof, type TransactionProof } from '../../../ledger/verify/proof.js';
import { runCli } from '../../support/run-cli.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { testKey, type TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { proofFromStore } from '../../support/transaction-proof.js';

const newDirectory = temporaryDirectories('proof');

async function fixture() {
  const directory = await newDirectory();
  const stored = await writeStoredChain(directory, 8);
  const proof = await proofFromStore(stored, 3, 1);
  return { directory, stored, proof };
}

const mutate = (proof: TransactionProof, change: (copy: any) => void): TransactionProof => {
  const copy = structuredClone(proof);
  change(copy);
  return copy;
};

describe('transaction proofs', () => {
  it('verify offline with nothing but the genesis validators', async () => {
    const { stored, proof } = await fixture();
    expect(verifyTransactionProof(proof, stored.chain.chainId, stored.chain.validators)).toMatchObject({ ok: true, height: 3, position: 1, result: { status: 'accepted' }, logSize: proof.checkpoint.header.logSize });
  });

  it('fail at the step that is wrong, saying what differs', async () => {
    const { stored, proof } = await fixture();
    const outsider = testKey('not a validator');
    const cases: Array<[string, TransactionProof | unknown, string]> = [
      ['not a proof', { format: 'x' }, 'format'],
      ['another chain', mutate(proof, (copy) => (copy.chainId = 'other-chain')), 'chain'],
      ['a tampered transaction', mutate(proof, (copy) => (copy.transaction.body.nonce = 'forged')), 'transaction'],
      ['an entry for another transaction', mutate(proof, (copy) => (copy.entry.txId = 'ab'.repeat(32))), 'entry'],
      ['a result rewritten', mutate(proof, (copy) => (copy.entry.result = { status: 'rejected', code: 'forged', message: 'x' })), 'inclusion'],
      ['a flipped bit in the path', mutate(proof, (copy) => (copy.inclusion.path[0] = (copy.inclusion.path[0][0] === '0' ? '1' : '0') + copy.inclusion.path[0].slice(1))), 'inclusion'],
      ['another leaf index', mutate(proof, (copy) => (copy.inclusion.leafIndex += 1)), 'inclusion'],
      ['a log size other than the checkpoint\'s', mutate(proof, (copy) => (copy.inclusion.logSize -= 1)), 'inclusion'],
      ['an altered checkpoint header', mutate(proof, (copy) => (copy.checkpoint.header.logRoot = '00'.repeat(32))), 'checkpoint'],
      [
        'a certificate signed by an outsider',
        mutate(proof, (copy) => (copy.checkpoint.certificate.signatures[0].signature = toHex(signVote(stored.chain.chainId, outsider.seed, copy.checkpoint.certificate.vote)))),
        'certificate',
      ],
      ['a certificate short of a quorum', mutate(proof, (copy) => copy.checkpoint.certificate.signatures.pop()), 'certificate'],
    ];
    for (const [name, input, step] of cases) {
      const verdict = verifyTransactionProof(input, stored.chain.chainId, stored.chain.validators);
      expect(verdict, name).toMatchObject({ ok: false, step });
      expect(!verdict.ok && verdict.message.length, name).toBeGreaterThan(10);
    }
  });

  it('are checked by custodia verify --proof, which says what failed', async () => {
    const { directory, stored, proof } = await fixture();
    const good = join(directory, 'proof.json');
    await writeFile(good, JSON.stringify(proof));
    const ok = await runCli(['verify', '--proof', good, '--genesis', stored.genesisFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('verified');
    const bad = join(directory, 'bad-proof.json');
    await writeFile(bad, JSON.stringify(mutate(proof, (copy) => (copy.entry.result = { status: 'rejected', code: 'forged', message: 'x' }))));
    const failed = await runCli(['verify', '--proof', bad, '--genesis', stored.genesisFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^proof failed at inclusion: /);
    const neither = await runCli(['verify', '--genesis', stored.genesisFile]);
    expect(neither.code).toBe(2);
  });
});

describe('transaction proofs across validator-set hand-overs', () => {
  /** Eight blocks; the genesis set hands over at height 3 and the second set at height 6. */
  async function handOverFixture() {
    const directory = await newDirectory();
    const stored = await writeStoredChain(directory, 8, {
      blockOptions: (height, chain) => ({
        ...(height === 3 ? { nextValidators: chain.newValidators('second', 5) } : {}),
        ...(height === 6 ? { nextValidators: chain.newValidators('third', 4) } : {}),
      }),
    });
    const proof = await proofFromStore(stored, 2, 1);
    return { directory, stored, chain: stored.chain, proof };
  }

  /** A quorum certificate on the same vote by `epoch`'s set, signed under epoch number `signAs`. */
  function resigned(chain: TestChain, vote: VoteData, epoch: number, signAs: number) {
    const set = chain.epochs[epoch]!;
    return {
      vote,
      signatures: set.keys.slice(0, set.validators.quorum).map((key, index) => ({ validator: set.members[index]!.id, signature: toHex(signVote(chain.chainId, key.seed, vote, signAs)) })),
    };
  }

  it('verify from the genesis keys through each hand-over to the checkpoint’s set', async () => {
    const { chain, stored, proof } = await handOverFixture();
    expect(proof.epochChanges?.map((change) => change.header.height)).toEqual([3, 6]);
    expect(verifyTransactionProof(proof, chain.chainId, chain.validators)).toMatchObject({ ok: true, height: 2, position: 1, checkpointHeight: 8, epoch: 2, validatorCount: 4, quorum: 3 });
    const later = await proofFromStore(stored, 5, 0);
    expect(verifyTransactionProof(later, chain.chainId, chain.validators)).toMatchObject({ ok: true, height: 5, epoch: 2 });
    // A checkpoint in the middle epoch needs only the first hand-over.
    const middle = await proofFromStore(stored, 2, 0, 5);
    expect(middle.epochChanges?.map((change) => change.header.height)).toEqual([3]);
    expect(verifyTransactionProof(middle, chain.chainId, chain.validators)).toMatchObject({ ok: true, checkpointHeight: 5, epoch: 1, validatorCount: 5, quorum: 4 });
    // The last block of an epoch is certified by its own, outgoing, set.
    const ending = await proofFromStore(stored, 2, 0, 3);
    expect(ending.epochChanges).toEqual([]);
    expect(verifyTransactionProof(ending, chain.chainId, chain.validators)).toMatchObject({ ok: true, checkpointHeight: 3, epoch: 0 });
  });

  it('fail at the step that is wrong when a hand-over is missing, forged or out of place', async () => {
    const { chain, stored, proof } = await handOverFixture();
    const outsider = testKey('not a validator');
    // Block 4 with the certificate the second set made on it: genuine, but it ends no epoch.
    const ordinary = (await proofFromStore(stored, 2, 0, 4)).checkpoint;
    const attackers = chain.newValidators('attacker', 4);
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['no hand-overs at all', mutate(proof, (copy) => delete copy.epochChanges), 'certificate', /under epoch 0 .*unknown-validator/],
      ['the hand-overs emptied', mutate(proof, (copy) => (copy.epochChanges = [])), 'certificate', /under epoch 0/],
      ['the second hand-over missing', mutate(proof, (copy) => copy.epochChanges.pop()), 'certificate', /under epoch 1/],
      ['the first hand-over missing', mutate(proof, (copy) => copy.epochChanges.shift()), 'epoch-change', /epoch change 0 \(block 6\).*under epoch 0/],
      ['the hand-overs out of order', mutate(proof, (copy) => copy.epochChanges.reverse()), 'epoch-change', /epoch change 0 \(block 6\)/],
      ['a hand-over given twice', mutate(proof, (copy) => copy.epochChanges.splice(1, 0, structuredClone(copy.epochChanges[0]))), 'epoch-change', /not after the previous hand-over/],
      [
        'a hand-over signed by an outsider',
        mutate(proof, (copy) => (copy.epochChanges[0].certificate.signatures[0].signature = toHex(signVote(chain.chainId, outsider.seed, copy.epochChanges[0].certificate.vote)))),
        'epoch-change',
        /certificate of epoch change 0 \(block 3\) fails under epoch 0: bad-signature/,
      ],
      ['a hand-over certified by the set it names', mutate(proof, (copy) => (copy.epochChanges[0].certificate = resigned(chain, copy.epochChanges[0].certificate.vote, 1, 1))), 'epoch-change', /unknown-validator/],
      ['a hand-over short of a quorum', mutate(proof, (copy) => copy.epochChanges[0].certificate.signatures.pop()), 'epoch-change', /insufficient-quorum/],
      ['a hand-over naming other validators', mutate(proof, (copy) => (copy.epochChanges[1].header.nextValidators = attackers)), 'epoch-change', /certificate of epoch change 1 \(block 6\) is for block/],
      ['a hand-over of another chain', mutate(proof, (copy) => (copy.epochChanges[0].header.chainId = 'other-chain')), 'epoch-change', /is for chain other-chain/],
      ['a hand-over header stripped of nextValidators', mutate(proof, (copy) => delete copy.epochChanges[0].header.nextValidators), 'epoch-change', /is for block/],
      ['an ordinary certified block as a hand-over', mutate(proof, (copy) => (copy.epochChanges[1] = ordinary)), 'epoch-change', /epoch change 1 \(block 4\) names no nextValidators/],
      [
        'a checkpoint the new set certified under epoch 0',
        mutate(proof, (copy) => (copy.checkpoint.certificate = resigned(chain, copy.checkpoint.certificate.vote, 2, 0))),
        'certificate',
        /under epoch 2 .*bad-signature/,
      ],
      ['a checkpoint the outgoing set certified', mutate(proof, (copy) => (copy.checkpoint.certificate = resigned(chain, copy.checkpoint.certificate.vote, 1, 1))), 'certificate', /unknown-validator/],
      ['too many hand-overs', mutate(proof, (copy) => (copy.epochChanges = Array.from({ length: 1025 }, () => copy.epochChanges[0]))), 'format', /epochChanges/],
    ];
    for (const [name, input, step, says] of cases) {
      const verdict = verifyTransactionProof(input, chain.chainId, chain.validators);
      expect(verdict, name).toMatchObject({ ok: false, step });
      expect(!verdict.ok && verdict.message, name).toMatch(says);
    }
  });

  it('refuse a hand-over that is not below the checkpoint', async () => {
    const { stored, chain } = await handOverFixture();
    // The checkpoint is block 3, whose own hand-over is wrongly listed before it.
    const ending = await proofFromStore(stored, 2, 0, 3);
    const third = await proofFromStore(stored, 2, 0, 5);
    const listed = mutate(ending, (copy) => (copy.epochChanges = third.epochChanges));
    expect(verifyTransactionProof(listed, chain.chainId, chain.validators)).toMatchObject({ ok: false, step: 'epoch-change', message: expect.stringMatching(/checkpoint at height 3 is not above the last hand-over, at height 3/) });
  });

  it('refuse a hand-over whose next validator set is invalid, though a quorum signed it', async () => {
    const { chain, proof } = await handOverFixture();
    const [member] = chain.newValidators('twice', 1);
    const forged = mutate(proof, (copy) => {
      copy.epochChanges[0].header.nextValidators = [member, member];
      const header = copy.epochChanges[0].header;
      copy.epochChanges[0].certificate = resigned(chain, { blockHash: blockHash(header), height: header.height, round: header.round }, 0, 0);
    });
    expect(verifyTransactionProof(forged, chain.chainId, chain.validators)).toMatchObject({ ok: false, step: 'epoch-change', message: expect.stringMatching(/next validator set of block 3 is invalid/) });
  });

  it('are checked by custodia verify --proof, which names the epoch of the checkpoint', async () => {
    const { directory, stored, proof } = await handOverFixture();
    const file = join(directory, 'proof.json');
    await writeFile(file, JSON.stringify(proof));
    const ok = await runCli(['verify', '--proof', file, '--genesis', stored.genesisFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('certified by a quorum of the validators of epoch 2 (3 of 4) at height 8');
    const missing = join(directory, 'missing.json');
    await writeFile(missing, JSON.stringify({ ...proof, epochChanges: [] }));
    const failed = await runCli(['verify', '--proof', missing, '--genesis', stored.genesisFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^proof failed at certificate: /);
  });
});
