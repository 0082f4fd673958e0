import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { signVote } from '../../../ledger/model/certificate.js';
import { verifyTransactionProof, type TransactionProof } from '../../../ledger/verify/proof.js';
import { runCli } from '../../support/run-cli.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { testKey } from '../../support/test-chain.js';
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
