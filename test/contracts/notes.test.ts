/**
 * The notes execution leaves for the auditors' indices (issue 11): every rule-driven change to an
 * item (quarantine, release, recall, certificate, correction) keyed by the item, approval requests
 * keyed by what they are about and by who is involved; and recalls that follow aggregation both
 * ways (contents and containers, lots packed in crates included) and transformation, transitively.
 */
import { describe, expect, it } from 'vitest';
import type { IndexedNote } from '../../ledger/store/records.js';
import { recallScope } from '../../contracts/rules/recall.js';
import { ContractHarness, id, prefixOf } from './support/harness.js';
import { aggregation, capture, commissioning, commissionLot, objectEvent, shipping, temperatureReading, transformation } from './support/epcis.js';

const lot = (name: string, party: 'farm' | 'processor' = 'farm') => `urn:epc:class:lgtin:${prefixOf(party)}.107346.${name}`;
const sgtin = (serial: number) => `urn:epc:id:sgtin:${prefixOf('farm')}.107346.${serial}`;
const sscc = (serial: number) => `urn:epc:id:sscc:${prefixOf('farm')}.${serial}`;
const changesOf = (notes: IndexedNote[], subject: string) => notes.filter((note) => note.index === 'change' && note.key === subject).map((note) => note.note);

/** A lot packed into crates (childQuantityList), the crates on a pallet, the lot made into salad. */
async function farmToSalad() {
  const harness = new ContractHarness();
  const crates = [1, 2, 3].map(sgtin);
  await harness.run('epcis.capture', capture(commissionLot(lot('LETTUCE'), 600, { minimum: 1, maximum: 5 }), commissioning(crates)), ['farm']);
  for (const [index, crate] of crates.entries()) {
    const packed = await harness.run('epcis.capture', capture({ ...aggregation('ADD', crate, []), childQuantityList: [{ epcClass: lot('LETTUCE'), quantity: 200, uom: 'KGM' }], childEPCs: undefined } as never), ['farm']);
    expect(packed.result, `crate ${index}`).toEqual({ status: 'accepted' });
  }
  expect((await harness.run('epcis.capture', capture(aggregation('ADD', sscc(9), crates)), ['farm'])).result).toEqual({ status: 'accepted' });
  expect((await harness.run('epcis.capture', capture(shipping({ lots: [[lot('LETTUCE'), 600]], epcs: [sscc(9)] }, id('processor'))), ['farm', 'processor'])).result).toEqual({ status: 'accepted' });
  expect((await harness.run('epcis.capture', capture(transformation([[lot('LETTUCE'), 600]], [[lot('SALAD', 'processor'), 480]])), ['processor'])).result).toEqual({ status: 'accepted' });
  return { harness, crates, pallet: sscc(9) };
}

describe('a recall', () => {
  it('follows aggregation both ways and transformation: the lettuce reaches its crates, the pallet that carried them, and the salad made of it', async () => {
    const { harness, crates, pallet } = await farmToSalad();
    expect((await harness.record(lot('LETTUCE')))?.containers).toEqual(crates);
    const scope = await recallScope(harness.state, lot('LETTUCE'));
    expect(new Set(scope)).toEqual(new Set([lot('LETTUCE'), ...crates, pallet, lot('SALAD', 'processor')]));
    const recall = await harness.run('recall.issue', { target: lot('LETTUCE'), reason: 'E. coli in irrigation water' }, ['regulator']);
    expect(recall.result).toEqual({ status: 'accepted' });
    for (const member of scope!) {
      expect((await harness.record(member))?.recalls, member).toEqual([recall.txId]);
      expect(changesOf(recall.block.notes, member), member).toEqual([{ kind: 'recalled', detail: member === lot('LETTUCE') ? 'E. coli in irrigation water' : `E. coli in irrigation water (recall of ${lot('LETTUCE')})`, reference: recall.txId }]);
    }
    // From a crate, the recall reaches its pallet and the lettuce packed in it, and what was made of that.
    expect(new Set(await recallScope(harness.state, crates[0]!))).toEqual(new Set(scope));
  });

  it('stops following a container once the lot is unpacked from it', async () => {
    const { harness, crates } = await farmToSalad();
    const unpacked = await harness.run('epcis.capture', capture({ ...aggregation('DELETE', crates[0]!, []), childQuantityList: [{ epcClass: lot('LETTUCE'), quantity: 200, uom: 'KGM' }], childEPCs: undefined } as never), ['processor']);
    expect(unpacked.result).toEqual({ status: 'accepted' });
    expect((await harness.record(lot('LETTUCE')))?.containers).toEqual(crates.slice(1));
    expect((await harness.record(crates[0]!))?.children).toEqual([]);
    // Still on the pallet with the other crates, the emptied crate is still reached through it; off the pallet, it is not.
    expect(await recallScope(harness.state, lot('LETTUCE'))).toContain(crates[0]);
    expect((await harness.run('epcis.capture', capture(aggregation('DELETE', sscc(9), [crates[0]!])), ['processor'])).result).toEqual({ status: 'accepted' });
    expect(await recallScope(harness.state, lot('LETTUCE'))).not.toContain(crates[0]);
    expect(await recallScope(harness.state, crates[0]!)).toEqual([crates[0]]);
  });
});

describe('notes of rule-driven changes', () => {
  it('record a quarantine from an excursion and its release, with the reason the laboratory signed', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('COLD'), 10, { minimum: 2, maximum: 8 })), ['farm']);
    const reading = await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('COLD'), 10]] }, 11.5, { eventID: 'urn:uuid:7a1e7f2e-7a54-4c44-a6b7-000000000001' })), ['farm']);
    expect(changesOf(reading.block.notes, lot('COLD'))).toEqual([{ kind: 'quarantined', detail: 'temperature 11.5 °C outside 2 to 8 °C', reference: 'urn:uuid:7a1e7f2e-7a54-4c44-a6b7-000000000001' }]);
    // A second excursion while quarantined changes nothing more.
    const again = await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('COLD'), 10]] }, 12)), ['farm']);
    expect(changesOf(again.block.notes, lot('COLD'))).toEqual([]);
    const released = await harness.run('quarantine.release', { target: lot('COLD'), reason: 'core temperature and microbiology within limits' }, ['lab']);
    expect(released.block.notes).toEqual([{ position: 0, index: 'change', key: lot('COLD'), note: { kind: 'released', detail: 'core temperature and microbiology within limits', reference: 'urn:uuid:7a1e7f2e-7a54-4c44-a6b7-000000000001' } }]);
  });

  it('record a certificate signed off through an approval, naming the approval, and approvals by subject and by party', async () => {
    const harness = new ContractHarness();
    const certificate = { documentHash: 'ab'.repeat(32), kind: 'microbiology-clearance', subject: lot('SALAD') };
    const request = await harness.run(
      'approval.request',
      { action: { type: 'certificate.record', payload: certificate }, policy: { ordered: true, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }, { required: 1, approvers: [{ party: id('regulator') }] }] }, deadline: harness.timestamp + 86_400_000 },
      ['processor'],
    );
    expect(request.block.notes.map((note) => `${note.index} ${note.key}`).sort()).toEqual([`approval-party ${id('processor')}`, `approval-party ${id('regulator')}`, 'approval-party role:laboratory', `approval-subject ${lot('SALAD')}`].sort());
    expect(request.block.notes.every((note) => (note.note as { requestId: string }).requestId === request.txId)).toBe(true);
    expect((await harness.run('approval.approve', { requestId: request.txId }, ['lab'])).block.notes).toEqual([]);
    const executed = await harness.run('approval.approve', { requestId: request.txId }, ['regulator']);
    expect(executed.block.notes).toEqual([{ position: 0, index: 'change', key: lot('SALAD'), note: { kind: 'certified', detail: 'microbiology-clearance', reference: certificate.documentHash, approvalId: request.txId } }]);
  });

  it('record an error declaration as a correction of every item the event named, and nothing for a refused transaction', async () => {
    const harness = new ContractHarness();
    const original = { ...objectEvent({ epcList: [sgtin(4)], bizStep: 'inspecting' }), eventID: 'urn:uuid:7a1e7f2e-7a54-4c44-a6b7-000000000002' };
    await harness.run('epcis.capture', capture(commissioning([sgtin(4)])), ['farm']);
    await harness.run('epcis.capture', capture(original), ['farm']);
    const declaration = { ...original, errorDeclaration: { declarationTime: '2026-03-02T08:00:00.000Z', reason: 'incorrect_data' } };
    const corrected = await harness.run('epcis.capture', capture(declaration), ['farm']);
    expect(corrected.result).toEqual({ status: 'accepted' });
    expect(changesOf(corrected.block.notes, sgtin(4))).toEqual([{ kind: 'corrected', detail: 'incorrect_data', reference: original.eventID }]);
    // Refused (not the original submitter): no notes.
    expect((await harness.run('epcis.capture', capture({ ...declaration, errorDeclaration: { ...declaration.errorDeclaration, reason: 'other' } }), ['carrier'])).block.notes).toEqual([]);
  });
});
