/**
 * The validators' checkpoint signatures (node/tlog/checkpoint-signatures.ts): what a validator
 * signs, what it accepts from peers (hostile input), and when it serves a checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { sign } from '../../../ledger/crypto/ed25519.js';
import { toBase64 } from '../../../ledger/encoding/base64.js';
import { toHex, utf8 } from '../../../ledger/encoding/hex.js';
import { genesisEpoch, type Epoch } from '../../../ledger/model/epoch.js';
import type { LedgerState } from '../../../ledger/verify/block-checks.js';
import { chainOrigin, formatCheckpointText, verifyCheckpoint } from '../../../ledger/tlog/checkpoint.js';
import { policyFromGenesis } from '../../../ledger/tlog/policy.js';
import { MemoryMerkleLog } from '../../../ledger/merkle/index.js';
import { CHECKPOINT_SIGNATURE_LIMITS, CheckpointSignatures, startsSigningPeriod, type CheckpointSignatureMessage } from '../../../node/tlog/checkpoint-signatures.js';
import { TestChain } from '../../support/test-chain.js';

const chain = new TestChain({ chainId: 'custodia-signatures' });
const origin = chainOrigin(chain.chainId);
const epoch: Epoch = genesisEpoch(chain.genesis.validators, chain.validators);
const policy = policyFromGenesis(chain.chainId, chain.validators);

/** A log the test grows, standing in for the validator's store. */
function ledger() {
  const log = new MemoryMerkleLog();
  let state: LedgerState = { height: 0, blockHash: '', logSize: 0, logRoot: toHex(log.root()), stateRoot: '', headerLedgerHeight: 0 };
  return {
    append(count: number) {
      for (let index = 0; index < count; index++) log.append(utf8(`entry ${log.size}`));
      state = { ...state, height: state.height + 1, logSize: log.size, logRoot: toHex(log.root()) };
    },
    view: { head: () => state, currentEpoch: () => epoch, logRoot: async (size: number) => toHex(log.root(size)) },
    root: (size: number) => log.root(size),
  };
}

function signatureOf(validator: number, size: number, root: Uint8Array): CheckpointSignatureMessage {
  const text = formatCheckpointText({ origin, size, rootHash: root });
  return { epoch: 0, size, signature: toBase64(sign(chain.validatorKeys[validator]!.seed, utf8(text))) };
}

function validator(index: number, log: ReturnType<typeof ledger>, refused: string[] = []) {
  const sent: CheckpointSignatureMessage[] = [];
  const signatures = new CheckpointSignatures({
    origin,
    self: { id: `validator-${index}`, seed: chain.validatorKeys[index]!.seed, publicKey: chain.validatorKeys[index]!.publicKey },
    ledger: log.view,
    broadcast: (payload) => sent.push(payload),
    onRefused: (reason) => refused.push(reason),
  });
  return { signatures, sent };
}

describe('checkpoint signatures', () => {
  it('signs its own head, and serves a checkpoint once a quorum of the set signed the same text', async () => {
    const log = ledger();
    log.append(3);
    const { signatures, sent } = validator(0, log);
    await signatures.headAdvanced();
    expect(sent).toEqual([signatureOf(0, 3, log.root(3))]);
    expect(signatures.served()).toBeUndefined();
    await signatures.receive('validator-1', signatureOf(1, 3, log.root(3)));
    expect(signatures.served()).toBeUndefined();
    await signatures.receive('validator-2', signatureOf(2, 3, log.root(3)));
    const served = signatures.served()!;
    expect(verifyCheckpoint(served.note, policy)).toMatchObject({ ok: true, checkpoint: { size: 3 }, signers: [0, 1, 2].map((id) => `${origin}/validator-${id}`) });
    // A fourth signature is added to the same checkpoint.
    await signatures.receive('validator-3', signatureOf(3, 3, log.root(3)));
    expect(verifyCheckpoint(signatures.served()!.note, policy)).toMatchObject({ ok: true, signers: expect.arrayContaining([`${origin}/validator-3`]) });
    // Signing again only when the log changed.
    await signatures.headAdvanced();
    expect(sent).toHaveLength(1);
    // A signature below the served checkpoint (a peer catching up) changes nothing.
    await signatures.receive('validator-1', signatureOf(1, 2, log.root(2)));
    expect(signatures.served()).toMatchObject({ checkpoint: { size: 3 } });
  });

  it('keeps a signature for a size it has not reached, one per peer, and counts it once it has', async () => {
    const log = ledger();
    const { signatures } = validator(0, log);
    await signatures.headAdvanced();
    const ahead = new MemoryMerkleLog();
    for (let index = 0; index < 5; index++) ahead.append(utf8(`entry ${index}`));
    await signatures.receive('validator-1', signatureOf(1, 5, ahead.root()));
    await signatures.receive('validator-2', signatureOf(2, 5, ahead.root()));
    expect(signatures.served()).toBeUndefined();
    log.append(5);
    await signatures.headAdvanced();
    expect(signatures.served()).toMatchObject({ checkpoint: { size: 5 } });
  });

  it('refuses malformed messages, outsiders and signatures over another text, and counts a validator once', async () => {
    const log = ledger();
    log.append(2);
    const refused: string[] = [];
    const { signatures } = validator(0, log, refused);
    await signatures.headAdvanced();
    const good = signatureOf(1, 2, log.root(2));
    for (const payload of [null, 'x', { ...good, extra: 1 }, { ...good, size: -1 }, { ...good, size: 2 ** 49 }, { ...good, signature: 'A'.repeat(88) + '=' }, { ...good, signature: '!'.repeat(88) }]) {
      await signatures.receive('validator-1', payload);
    }
    await signatures.receive('outsider', good);
    // validator-1's signature presented as validator-2's, and a signature over another root.
    await signatures.receive('validator-2', good);
    await signatures.receive('validator-3', signatureOf(3, 2, new Uint8Array(32)));
    expect(refused).toEqual([...Array(7).fill('malformed'), 'not-a-validator', 'bad-signature', 'bad-signature']);
    expect(signatures.served()).toBeUndefined();
    await signatures.receive('validator-1', good);
    await signatures.receive('validator-1', good);
    expect(signatures.served()).toBeUndefined();
    await signatures.receive('validator-2', signatureOf(2, 2, log.root(2)));
    expect(signatures.served()).toMatchObject({ checkpoint: { size: 2 } });
  });

  it('serves witnesses’ cosignatures with the checkpoint they cosigned, at most 16', async () => {
    const log = ledger();
    const { signatures } = validator(0, log);
    await signatures.headAdvanced();
    await signatures.receive('validator-1', signatureOf(1, 0, log.root(0)));
    await signatures.receive('validator-2', signatureOf(2, 0, log.root(0)));
    const { checkpoint } = signatures.served()!;
    for (let index = 0; index < 20; index++) signatures.addCosignature(checkpoint.text, `w${index}`, `— w${index} AAAA\n`);
    signatures.addCosignature('another text\n', 'w99', '— w99 AAAA\n');
    expect(signatures.served()!.cosignatureLines).toEqual(Array.from({ length: 16 }, (_, index) => `— w${index} AAAA\n`));
  });

  it('signs a grown head only where told to (a new signing period or a quiet head), and counts peers’ signatures either way', async () => {
    const log = ledger();
    const { signatures, sent } = validator(0, log);
    // The first head is signed whatever the rule says: there is nothing to serve yet.
    await signatures.headAdvanced(false);
    expect(sent.map((message) => message.size)).toEqual([0]);
    log.append(2);
    await signatures.headAdvanced(false);
    log.append(1);
    await signatures.headAdvanced(false);
    expect(sent.map((message) => message.size)).toEqual([0]);
    // Two peers signed size 3 (their quiet-head timers fired first): counted, but no quorum without this validator.
    await signatures.receive('validator-1', signatureOf(1, 3, log.root(3)));
    await signatures.receive('validator-2', signatureOf(2, 3, log.root(3)));
    expect(signatures.served()).toBeUndefined();
    // This validator's quiet-head timer (or the next period) signs it, and the three make a quorum.
    await signatures.headAdvanced(true);
    expect(sent.map((message) => message.size)).toEqual([0, 3]);
    expect(signatures.served()!.checkpoint.signatureLines).toHaveLength(3);
  });
});

describe('startsSigningPeriod', () => {
  const period = CHECKPOINT_SIGNATURE_LIMITS.signPeriodMs;

  it('is true for the first block of a period and false for the blocks after it in the same period', () => {
    const base = 1_800_000_000_000 - (1_800_000_000_000 % period);
    expect(startsSigningPeriod(base - 1, base)).toBe(true);
    expect(startsSigningPeriod(base, base + period - 1)).toBe(false);
    expect(startsSigningPeriod(base + 5, base + 5)).toBe(false);
    expect(startsSigningPeriod(base + period - 1, base + period)).toBe(true);
    expect(startsSigningPeriod(base, base + 10 * period)).toBe(true);
  });

  it('is true when the parent’s time is not known (after a restart)', () => {
    expect(startsSigningPeriod(undefined, 1_800_000_000_123)).toBe(true);
  });

  it('signs a bounded number of heads in a busy stretch: at most one per period of block time', () => {
    // 2,000 blocks 3 ms apart (6 s of block time) hold about 6,000 / period first-of-period blocks.
    let parent: number | undefined = 1_800_000_000_000;
    let signed = 0;
    for (let index = 1; index <= 2_000; index++) {
      const time = 1_800_000_000_000 + index * 3;
      if (startsSigningPeriod(parent, time)) signed++;
      parent = time;
    }
    expect(signed).toBe(Math.floor((1_800_000_000_000 + 6_000) / period) - Math.floor(1_800_000_000_000 / period));
  });
});
