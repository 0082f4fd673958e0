/**
 * The gateway's durable outbox (tools/gateway/outbox.ts): what it accepted is there, in order,
 * after the store is closed and opened again; the same transaction is one entry; its bounds
 * refuse new captures and never drop accepted ones; settling frees the bound and forgets the
 * oldest settled records past their limit.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signTransaction, transactionId, type Transaction } from '../../../ledger/model/transaction.js';
import { Outbox } from '../../../tools/gateway/outbox.js';
import { testKey } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const directories = temporaryDirectories('outbox');
const key = testKey('outbox-farm');
const signer = { participant: 'urn:epc:id:pgln:0614141.00001', publicKey: key.publicKey, seed: key.seed };

function capture(nonce: string, padding = 0): { transaction: Transaction; id: string } {
  const body = { chainId: 'outbox-test', type: 'epcis.capture', signers: [signer.participant], nonce, payload: { document: { note: 'x'.repeat(padding) } } };
  return { transaction: signTransaction(body, [signer]), id: transactionId(body) };
}

describe('the outbox', () => {
  it('keeps what it accepted, in acceptance order, across a close and reopen; a transaction held is one entry', async () => {
    const directory = join(await directories(), 'outbox');
    const outbox = await Outbox.open(directory);
    const captures = ['a', 'b', 'c'].map((nonce) => capture(nonce));
    for (const { transaction, id } of captures) expect(await outbox.accept(transaction, id, 'rollback')).toMatchObject({ ok: true, duplicate: false });
    const again = await outbox.accept(captures[1]!.transaction, captures[1]!.id, 'rollback');
    expect(again).toMatchObject({ ok: true, duplicate: true, record: { seq: 2 } });
    await outbox.update(2, { state: 'submitted', submittedTo: 'http://validator', attempts: 1 });
    await outbox.close();

    const reopened = await Outbox.open(directory);
    expect(reopened.pending().map((record) => [record.id, record.state])).toEqual([
      [captures[0]!.id, 'queued'],
      [captures[1]!.id, 'submitted'],
      [captures[2]!.id, 'queued'],
    ]);
    expect(await reopened.transaction(2)).toEqual(captures[1]!.transaction);
    // New entries continue the order.
    const next = capture('d');
    expect(await reopened.accept(next.transaction, next.id, 'proceed')).toMatchObject({ ok: true, record: { seq: 4, behaviour: 'proceed' } });
    await reopened.close();
  });

  it('refuses a capture beyond its entry or byte bound, and takes one again once an entry settles', async () => {
    const outbox = await Outbox.open(join(await directories(), 'outbox'), { entriesMax: 2, bytesMax: 4000, settledKeptMax: 10 });
    const [first, second, third] = ['a', 'b', 'c'].map((nonce) => capture(nonce));
    await outbox.accept(first!.transaction, first!.id, 'rollback');
    await outbox.accept(second!.transaction, second!.id, 'rollback');
    expect(await outbox.accept(third!.transaction, third!.id, 'rollback')).toMatchObject({ ok: false, reason: 'entries-full' });
    // Nothing accepted was dropped to make room.
    expect(outbox.pending().map((record) => record.id)).toEqual([first!.id, second!.id]);

    await outbox.update(1, { state: 'committed', height: 3, proven: true, result: { status: 'accepted' } });
    expect(await outbox.accept(third!.transaction, third!.id, 'rollback')).toMatchObject({ ok: true });
    const large = capture('large', 3600);
    expect(await outbox.accept(large.transaction, large.id, 'rollback')).toMatchObject({ ok: false, reason: 'entries-full' });
    await outbox.update(2, { state: 'rejected', proven: true, result: { status: 'rejected', code: 'custody-not-held', message: 'no' } });
    expect(await outbox.accept(large.transaction, large.id, 'rollback')).toMatchObject({ ok: false, reason: 'bytes-full' });
    expect(outbox.counts()).toMatchObject({ queued: 1, committed: 1, rejected: 1 });
    await outbox.close();
  });

  it('deletes a settled entry’s transaction, keeps its status, and forgets the oldest settled past the limit; a settled entry never goes back', async () => {
    const directory = join(await directories(), 'outbox');
    const outbox = await Outbox.open(directory, { entriesMax: 10, bytesMax: 1_000_000, settledKeptMax: 2 });
    const captures = ['a', 'b', 'c'].map((nonce) => capture(nonce));
    for (const { transaction, id } of captures) await outbox.accept(transaction, id, 'rollback');
    for (const seq of [1, 2, 3]) await outbox.update(seq, { state: 'committed', height: seq, proven: true, result: { status: 'accepted' } });
    await expect(outbox.transaction(1)).rejects.toThrow(/no transaction/);
    await expect(outbox.update(3, { state: 'queued' })).rejects.toThrow(/settled/);
    await outbox.close();
    const reopened = await Outbox.open(directory, { entriesMax: 10, bytesMax: 1_000_000, settledKeptMax: 2 });
    expect(reopened.byId(captures[0]!.id)).toBeUndefined();
    expect(reopened.byId(captures[2]!.id)).toMatchObject({ state: 'committed', height: 3 });
    expect(reopened.counts()).toMatchObject({ committed: 2, heldBytes: 0 });
    await reopened.close();
  });

  it('waits for an entry to settle, or answers as it stands when the wait runs out', async () => {
    const outbox = await Outbox.open(join(await directories(), 'outbox'));
    const { transaction, id } = capture('wait');
    await outbox.accept(transaction, id, 'rollback');
    expect(await outbox.waitSettled(id, 1)).toMatchObject({ state: 'queued' });
    const settled = outbox.waitSettled(id, 30_000);
    await outbox.update(1, { state: 'rejected', proven: false, result: { status: 'rejected', code: 'bad-signature', message: 'no' } });
    expect(await settled).toMatchObject({ state: 'rejected' });
    await outbox.close();
  });
});
