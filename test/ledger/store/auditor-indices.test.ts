/**
 * The store's auditor indices (ledger/store/auditor-indices.ts): notes by index and key in ledger
 * order with paging, blocks with transactions newest first across any run of empty blocks, and
 * search by identifier, GS1 key, lot code, GTIN, words and their starts, best matches first.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { gtinOf } from '../../../ledger/store/identifiers.js';
import type { IndexedEvent, IndexedNote } from '../../../ledger/store/records.js';
import { TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('auditor-indices');

async function openStore(chain: TestChain): Promise<BlockStore> {
  const opened = await BlockStore.open({ directory: await newDirectory(), genesis: chain.genesis, genesisWrites: chain.genesisWrites, validators: chain.validators });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

const LETTUCE = 'urn:epc:class:lgtin:0614141.012345.LETTUCE-7';
const SALAD = 'urn:epc:class:lgtin:0614142.077777.SALAD-7';
const SALAD_OTHER = 'urn:epc:class:lgtin:0614142.077777.SALADBAR-1';
const CRATE = 'urn:epc:id:sgtin:0614141.012345.71';

function event(epcs: string[], classes: string[]): JsonValue {
  return {
    type: 'ObjectEvent',
    eventTime: '2026-03-01T08:00:00.000Z',
    eventTimeZoneOffset: '+00:00',
    action: 'OBSERVE',
    epcList: epcs,
    quantityList: classes.map((epcClass) => ({ epcClass, quantity: 1 })),
  };
}

describe('the auditor indices', () => {
  it('find notes by key in ledger order, a page at a time, whatever lies between', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const recall = (position: number, key: string, detail: string): IndexedNote => ({ position, index: 'change', key, note: { kind: 'recalled', detail } });
    await store.appendBlock({ ...chain.nextBlock([chain.transaction({ a: 1 }), chain.transaction({ b: 2 })]), events: [], notes: [recall(0, SALAD, 'first'), recall(1, SALAD, 'second'), recall(1, LETTUCE, 'other')] });
    for (let empty = 0; empty < 20; empty++) await store.appendBlock({ ...chain.nextBlock([]), events: [] });
    await store.appendBlock({ ...chain.nextBlock([chain.transaction({ c: 3 })]), events: [], notes: [recall(0, SALAD, 'third'), { position: 0, index: 'approval-subject', key: SALAD, note: { requestId: 'r'.repeat(64) } }] });

    const all = await store.notesUnder('change', SALAD, 10);
    expect(all.map((note) => (note.note as { detail: string }).detail)).toEqual(['first', 'second', 'third']);
    expect(all.map((note) => [note.height, note.position])).toEqual([[1, 0], [1, 1], [22, 0]]);
    expect(all[1]!.txId).toMatch(/^[0-9a-f]{64}$/);
    // Each note records its block's time and its transaction's signers, so a history reads no block.
    for (const note of all) {
      const block = (await store.getBlock(note.height))!;
      expect(note.recordedAt).toBe(block.header.timestamp);
      expect(note.signers).toEqual(block.transactions[note.position]!.body.signers);
    }
    const firstPage = await store.notesUnder('change', SALAD, 2);
    expect(await store.notesUnder('change', SALAD, 2, firstPage[1]!.reference)).toEqual([all[2]]);
    expect((await store.notesUnder('approval-subject', SALAD, 10)).map((note) => note.note)).toEqual([{ requestId: 'r'.repeat(64) }]);
    expect(await store.notesUnder('change', 'urn:epc:class:lgtin:0614141.012345.NONE', 10)).toEqual([]);
    await store.close();
  });

  it('list the blocks that carry transactions, newest first, across any run of empty blocks', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const busy: number[] = [];
    for (let height = 1; height <= 60; height++) {
      const carries = height % 17 === 3;
      if (carries) busy.push(height);
      await store.appendBlock({ ...chain.nextBlock(carries ? [chain.transaction({ height })] : []), events: [] });
    }
    expect(await store.busyBlocksBefore(61, 10)).toEqual([...busy].reverse());
    expect(await store.busyBlocksBefore(37, 1)).toEqual([20]);
    expect(await store.busyBlocksBefore(3, 10)).toEqual([]);
    await store.close();
  });

  it('find identifiers by what a person types, exact matches first, then whole words, then prefixes', async () => {
    const chain = new TestChain();
    const store = await openStore(chain);
    const events: IndexedEvent[] = [{ position: 0, event: event([CRATE], [LETTUCE, SALAD, SALAD_OTHER]), participants: [] }];
    await store.appendBlock({ ...chain.nextBlock([chain.transaction({ a: 1 })]), events });
    const ids = async (query: string) => (await store.searchIdentifiers(query, 10)).hits.map((hit) => `${hit.match} ${hit.id}`);

    // A lot code exactly, as typed in any case; the word of it; the start of a word.
    expect(await ids('salad-7')).toEqual([`exact ${SALAD}`]);
    expect(await ids('SALAD')).toEqual([`word ${SALAD}`, `prefix ${SALAD_OTHER}`]);
    expect(await ids('sal')).toEqual([`prefix ${SALAD}`, `prefix ${SALAD_OTHER}`]);
    // The whole URN, its GS1 key without the URN prefix, a GTIN-14 and a GTIN-13.
    expect(await ids(LETTUCE)).toEqual([`exact ${LETTUCE}`]);
    expect(await ids('0614141.012345.LETTUCE-7')).toEqual([`exact ${LETTUCE}`]);
    const gtin = gtinOf(SALAD)!;
    expect(gtin).toMatch(/^0\d{13}$/);
    expect((await ids(gtin)).slice(0, 2)).toEqual([`exact ${SALAD}`, `exact ${SALAD_OTHER}`]);
    expect((await ids(gtin.slice(1))).slice(0, 2)).toEqual([`exact ${SALAD}`, `exact ${SALAD_OTHER}`]);
    // Every word must match; a company prefix finds its items.
    expect(await ids('salad 7')).toEqual([`word ${SALAD}`]);
    expect(await ids('0614141')).toEqual([`word ${LETTUCE}`, `word ${CRATE}`]);
    expect(await ids('nothing-like-it')).toEqual([]);
    expect(await store.searchIdentifiers('   ', 10)).toEqual({ hits: [], complete: true });
    // A cut answer says so.
    expect(await store.searchIdentifiers('0614142', 1)).toMatchObject({ complete: false });

    // A later block naming a recorded identifier and a new one: the new one is found, the
    // recorded one still once (the append asks in one batch which identifiers are recorded).
    const PALLET = 'urn:epc:id:sgtin:0614141.012345.99';
    await store.appendBlock({ ...chain.nextBlock([chain.transaction({ a: 2 })]), events: [{ position: 0, event: event([CRATE, PALLET], [LETTUCE]), participants: [] }] });
    expect(await ids(PALLET)).toEqual([`exact ${PALLET}`]);
    expect(await ids(CRATE)).toEqual([`exact ${CRATE}`]);
    expect(await ids('0614141')).toEqual([`word ${LETTUCE}`, `word ${CRATE}`, `word ${PALLET}`]);
    await store.close();
  });
});
