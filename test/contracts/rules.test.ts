import { describe, expect, it } from 'vitest';
import { ContractHarness, id, PARTIES, prefixOf } from './support/harness.js';
import { aggregation, capture, commissioning, commissionLot, objectEvent, receiving, shipping, temperatureReading, transformation } from './support/epcis.js';

const sgtin = (serial: number, party: 'farm' | 'processor' = 'farm') => `urn:epc:id:sgtin:${prefixOf(party)}.107346.${serial}`;
const lot = (name: string, party: 'farm' | 'processor' = 'farm') => `urn:epc:class:lgtin:${prefixOf(party)}.107346.${name}`;
const sscc = (serial: number, party: 'farm' | 'processor' = 'farm') => `urn:epc:id:sscc:${prefixOf(party)}.${serial}`;

function expectRejected(run: { result: { status: string; message?: string } }, code: string, mentions?: string): void {
  expect(run.result).toMatchObject({ status: 'rejected', code });
  if (mentions !== undefined) expect(run.result.message).toContain(mentions);
}

describe('signers', () => {
  it('must be registered participants signing with their registered, active keys', async () => {
    const harness = new ContractHarness();
    const stranger = { id: 'urn:epc:id:pgln:0999999.00001', seedName: 'urn:epc:id:pgln:0999999.00001' };
    expectRejected(await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), [stranger]), 'unknown-participant', stranger.id);
    const wrongKey = { id: id('farm'), seedName: 'not the farm key' };
    expectRejected(await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), [wrongKey]), 'unknown-key', id('farm'));
    expect((await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm'])).result).toEqual({ status: 'accepted' });
  });

  it('refuses unknown transaction types and payloads that do not fit the type, naming the field', async () => {
    const harness = new ContractHarness();
    expectRejected(await harness.run('lot.teleport', {}, ['farm']), 'unknown-transaction-type', 'lot.teleport');
    expectRejected(await harness.run('recall.issue', { target: 7 }, ['regulator']), 'malformed-payload', 'payload.target');
    expectRejected(await harness.run('epcis.capture', { document: { type: 'EPCISDocument' } }, ['farm']), 'invalid-event', 'payload.document');
  });

  it('refuses a transaction id seen before, even one that was rejected', async () => {
    const harness = new ContractHarness();
    const transaction = harness.transaction('epcis.capture', capture(commissioning([sgtin(1)])), ['farm']);
    expect((await harness.block([transaction])).results[0]).toEqual({ status: 'accepted' });
    expectRejected({ result: (await harness.block([transaction])).results[0]! }, 'duplicate-transaction');
  });
});

describe('commissioning', () => {
  it('is allowed only under the signer\'s own company prefix, and once', async () => {
    const harness = new ContractHarness();
    expect((await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm'])).result.status).toBe('accepted');
    expect(await harness.record(sgtin(1))).toMatchObject({ possessor: id('farm'), commissionedBy: id('farm'), status: 'active' });
    expectRejected(await harness.run('epcis.capture', capture(commissioning([sgtin(2, 'processor')])), ['farm']), 'not-own-company-prefix', sgtin(2, 'processor'));
    expectRejected(await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm']), 'already-commissioned', sgtin(1));
  });

  it('records all events of a document or none', async () => {
    const harness = new ContractHarness();
    const run = await harness.run('epcis.capture', capture(commissioning([sgtin(5)]), commissioning([sgtin(6, 'processor')])), ['farm']);
    expectRejected(run, 'not-own-company-prefix');
    expect(await harness.record(sgtin(5))).toBeUndefined();
  });
});

describe('custody', () => {
  async function commissioned() {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissioning([sgtin(1), sgtin(2)]), commissionLot(lot('L1'), 100)), ['farm']);
    return harness;
  }

  it('moves only when the receiver receives what the possessor shipped to it', async () => {
    const harness = await commissioned();
    expect((await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('carrier'))), ['farm'])).result.status).toBe('accepted');
    expect(await harness.record(sgtin(1))).toMatchObject({ possessor: id('farm'), inTransit: [{ from: id('farm'), to: id('carrier') }] });
    expectRejected(await harness.run('epcis.capture', capture(receiving({ epcs: [sgtin(1)] }, id('farm'))), ['distributor']), 'no-matching-shipment', id('distributor'));
    expect((await harness.run('epcis.capture', capture(receiving({ epcs: [sgtin(1)] }, id('farm'))), ['carrier'])).result.status).toBe('accepted');
    expect(await harness.record(sgtin(1))).toMatchObject({ possessor: id('carrier'), inTransit: [] });
  });

  it('lets only the possessor ship, and not twice', async () => {
    const harness = await commissioned();
    expectRejected(await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('retailer'))), ['carrier']), 'not-in-possession', sgtin(1));
    await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('carrier'))), ['farm']);
    expectRejected(await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('retailer'))), ['farm']), 'not-in-possession', 'in transit');
  });

  it('hands over at once when both parties sign one shipping event', async () => {
    const harness = await commissioned();
    expect((await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(2)] }, id('carrier'))), ['farm', 'carrier'])).result.status).toBe('accepted');
    expect(await harness.record(sgtin(2))).toMatchObject({ possessor: id('carrier'), inTransit: [] });
  });

  it('refuses a shipment to someone outside the consortium', async () => {
    const harness = await commissioned();
    expectRejected(await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, 'urn:epc:id:pgln:0999999.00001')), ['farm']), 'unknown-participant');
    const noDestination = objectEvent({ bizStep: 'shipping', epcList: [sgtin(1)] });
    expectRejected(await harness.run('epcis.capture', capture(noDestination), ['farm']), 'invalid-event', 'destination');
  });

  it('tracks quantities of a lot per holder', async () => {
    const harness = await commissioned();
    expectRejected(await harness.run('epcis.capture', capture(shipping({ lots: [[lot('L1'), 150]] }, id('distributor'))), ['farm']), 'insufficient-quantity', lot('L1'));
    await harness.run('epcis.capture', capture(shipping({ lots: [[lot('L1'), 40]] }, id('distributor'))), ['farm']);
    await harness.run('epcis.capture', capture(receiving({ lots: [[lot('L1'), 30]] }, id('farm'))), ['distributor']);
    expect(await harness.record(lot('L1'))).toMatchObject({ holdings: { [id('farm')]: 60, [id('distributor')]: 30 }, inTransit: [{ to: id('distributor'), quantity: 10 }] });
    expectRejected(await harness.run('epcis.capture', capture(receiving({ lots: [[lot('L1'), 20]] }, id('farm'))), ['distributor']), 'no-matching-shipment');
  });

  it('lets only the possessor destroy, and a destroyed thing cannot move', async () => {
    const harness = await commissioned();
    expectRejected(await harness.run('epcis.capture', capture(objectEvent({ action: 'DELETE', bizStep: 'destroying', epcList: [sgtin(1)] })), ['carrier']), 'not-in-possession');
    expect((await harness.run('epcis.capture', capture(objectEvent({ action: 'DELETE', bizStep: 'destroying', epcList: [sgtin(1)] })), ['farm'])).result.status).toBe('accepted');
    expectRejected(await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('carrier'))), ['farm']), 'item-unavailable', 'destroyed');
  });

  it('refuses to ship what was never commissioned', async () => {
    const harness = await commissioned();
    expectRejected(await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(99)] }, id('carrier'))), ['farm']), 'unknown-item', sgtin(99));
  });
});

describe('aggregation and transformation', () => {
  it('packs what the packer holds, moves contents with the container, and unpacks', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissioning([sgtin(1), sgtin(2)])), ['farm']);
    expectRejected(await harness.run('epcis.capture', capture(aggregation('ADD', sscc(7), [sgtin(1)])), ['processor']), 'not-own-company-prefix');
    expect((await harness.run('epcis.capture', capture(aggregation('ADD', sscc(7), [sgtin(1), sgtin(2)])), ['farm'])).result.status).toBe('accepted');
    expect(await harness.record(sscc(7))).toMatchObject({ children: [sgtin(1), sgtin(2)], possessor: id('farm') });
    expect(await harness.record(sgtin(1))).toMatchObject({ parent: sscc(7) });

    await harness.run('epcis.capture', capture(shipping({ epcs: [sscc(7)] }, id('carrier'))), ['farm']);
    await harness.run('epcis.capture', capture(receiving({ epcs: [sscc(7)] }, id('farm'))), ['carrier']);
    expect(await harness.record(sgtin(2))).toMatchObject({ possessor: id('carrier') });

    expectRejected(await harness.run('epcis.capture', capture(aggregation('DELETE', sscc(7), [])), ['farm']), 'not-in-possession');
    expect((await harness.run('epcis.capture', capture(aggregation('DELETE', sscc(7), [])), ['carrier'])).result.status).toBe('accepted');
    expect(await harness.record(sscc(7))).toMatchObject({ children: [] });
    expect((await harness.record(sgtin(1)))?.parent).toBeUndefined();
  });

  it('refuses to pack what the packer does not hold', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm']);
    await harness.run('epcis.capture', capture(commissioning([sgtin(1, 'processor')])), ['processor']);
    expectRejected(await harness.run('epcis.capture', capture(aggregation('ADD', sscc(8, 'processor'), [sgtin(1)])), ['processor']), 'not-in-possession', sgtin(1));
  });

  it('consumes the inputs of a transformation and links its outputs to them', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('RAW'), 50)), ['farm']);
    await harness.run('epcis.capture', capture(shipping({ lots: [[lot('RAW'), 50]] }, id('processor'))), ['farm', 'processor']);
    expectRejected(await harness.run('epcis.capture', capture(transformation([[lot('RAW'), 50]], [[lot('JUICE', 'processor'), 40]])), ['farm']), 'insufficient-quantity');
    expect((await harness.run('epcis.capture', capture(transformation([[lot('RAW'), 50]], [[lot('JUICE', 'processor'), 40]])), ['processor'])).result.status).toBe('accepted');
    expect(await harness.record(lot('RAW'))).toMatchObject({ status: 'consumed', derivedInto: [lot('JUICE', 'processor')] });
    expect(await harness.record(lot('JUICE', 'processor'))).toMatchObject({ holdings: { [id('processor')]: 40 }, derivedFrom: [lot('RAW')] });
    expectRejected(await harness.run('epcis.capture', capture(shipping({ lots: [[lot('RAW'), 1]] }, id('carrier'))), ['processor']), 'item-unavailable', 'consumed');
  });
});

describe('temperature', () => {
  it('quarantines a lot read outside its declared range; a quarantined lot cannot ship until a laboratory releases it', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('COLD'), 10, { minimum: 2, maximum: 8 })), ['farm']);
    await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('COLD'), 10]] }, 5)), ['farm']);
    expect((await harness.record(lot('COLD')))?.quarantine).toBeUndefined();
    expect((await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('COLD'), 10]] }, 12.5)), ['farm'])).result.status).toBe('accepted');
    expect(await harness.record(lot('COLD'))).toMatchObject({ excursions: 1, quarantine: { reason: expect.stringContaining('12.5') } });
    expectRejected(await harness.run('epcis.capture', capture(shipping({ lots: [[lot('COLD'), 10]] }, id('carrier'))), ['farm']), 'quarantined', lot('COLD'));

    expectRejected(await harness.run('quarantine.release', { target: lot('COLD'), reason: 'looks fine' }, ['carrier']), 'wrong-role');
    expect((await harness.run('quarantine.release', { target: lot('COLD'), reason: 'microbiology negative' }, ['lab'])).result.status).toBe('accepted');
    expectRejected(await harness.run('quarantine.release', { target: lot('COLD'), reason: 'again' }, ['lab']), 'not-quarantined');
    expect((await harness.run('epcis.capture', capture(shipping({ lots: [[lot('COLD'), 10]] }, id('carrier'))), ['farm'])).result.status).toBe('accepted');
  });

  it('reads Fahrenheit reports in Celsius, and ignores other measurements', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('F'), 10, { minimum: 2, maximum: 8 })), ['farm']);
    const fahrenheit = objectEvent({ bizStep: 'sensor_reporting', quantityList: [{ epcClass: lot('F'), quantity: 10, uom: 'KGM' }], sensorElementList: [{ sensorReport: [{ type: 'AbsoluteHumidity', value: 99, uom: 'A93' }, { type: 'Temperature', value: 41, uom: 'FAH' }] }] });
    await harness.run('epcis.capture', capture(fahrenheit), ['farm']);
    expect((await harness.record(lot('F')))?.quarantine).toBeUndefined();
    await harness.run('epcis.capture', capture(objectEvent({ bizStep: 'sensor_reporting', quantityList: [{ epcClass: lot('F'), quantity: 10, uom: 'KGM' }], sensorElementList: [{ sensorReport: [{ type: 'gs1:Temperature', maxValue: 50, uom: 'FAH' }] }] })), ['farm']);
    expect((await harness.record(lot('F')))?.quarantine).toBeDefined();
  });

  it('accepts readings only from a party that handles the goods or whose role is to examine them', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('W'), 10, { minimum: 2, maximum: 8 })), ['farm']);
    expectRejected(await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('W'), 10]] }, 30)), ['retailer']), 'not-in-possession');
    expect((await harness.run('epcis.capture', capture(temperatureReading({ lots: [[lot('W'), 10]] }, 30)), ['carrier'])).result.status).toBe('accepted');
  });
});

describe('recalls', () => {
  async function supplyChain() {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('SEED'), 20), commissioning([sgtin(1)])), ['farm']);
    await harness.run('epcis.capture', capture(aggregation('ADD', sscc(1), [sgtin(1)])), ['farm']);
    await harness.run('epcis.capture', capture(shipping({ lots: [[lot('SEED'), 20]] }, id('processor'))), ['farm', 'processor']);
    await harness.run('epcis.capture', capture(transformation([[lot('SEED'), 20]], [[lot('MEAL', 'processor'), 15]])), ['processor']);
    return harness;
  }

  it('by a regulator extends to what was made from the lot, transitively, and freezes it', async () => {
    const harness = await supplyChain();
    const recall = await harness.run('recall.issue', { target: lot('SEED'), reason: 'aflatoxin' }, ['regulator']);
    expect(recall.result.status).toBe('accepted');
    const scope = (await harness.state.get(`recall/${recall.txId}`)) as { scope: string[] };
    expect(scope.scope).toEqual([lot('SEED'), lot('MEAL', 'processor')]);
    expectRejected(await harness.run('epcis.capture', capture(shipping({ lots: [[lot('MEAL', 'processor'), 5]] }, id('retailer'))), ['processor']), 'recalled', lot('MEAL', 'processor'));
  });

  it('covers the containers and contents of a recalled item, and blocks receiving', async () => {
    const harness = await supplyChain();
    await harness.run('epcis.capture', capture(shipping({ epcs: [sscc(1)] }, id('carrier'))), ['farm']);
    const recall = await harness.run('recall.issue', { target: sgtin(1), reason: 'label error' }, ['regulator']);
    const scope = (await harness.state.get(`recall/${recall.txId}`)) as { scope: string[] };
    expect(scope.scope).toEqual([sgtin(1), sscc(1)]);
    expectRejected(await harness.run('epcis.capture', capture(receiving({ epcs: [sscc(1)] }, id('farm'))), ['carrier']), 'recalled', sscc(1));
  });

  it('by the producer needs an admin co-signature; anyone else is refused', async () => {
    const harness = await supplyChain();
    expectRejected(await harness.run('recall.issue', { target: lot('SEED'), reason: 'precaution' }, ['farm']), 'wrong-role', id('farm'));
    expectRejected(await harness.run('recall.issue', { target: lot('SEED'), reason: 'precaution' }, ['processor', 'admin1']), 'wrong-role');
    expect((await harness.run('recall.issue', { target: lot('SEED'), reason: 'precaution' }, ['farm', 'admin1'])).result.status).toBe('accepted');
    expectRejected(await harness.run('recall.issue', { target: lot('NOPE'), reason: 'x' }, ['regulator']), 'unknown-item');
  });
});

describe('duplicates and corrections', () => {
  it('refuses an event already recorded, by eventID or by content', async () => {
    const harness = new ContractHarness();
    const event = commissioning([sgtin(1)], { eventID: 'urn:uuid:6f2c8b5e-6b87-4c87-8d8c-0a0f6a3f3a11' });
    await harness.run('epcis.capture', capture(event), ['farm']);
    expectRejected(await harness.run('epcis.capture', capture({ ...event, epcList: [sgtin(2)] }), ['farm']), 'duplicate-event', 'urn:uuid:6f2c8b5e');
    const anonymous = temperatureReading({ epcs: [sgtin(1)] }, 4);
    await harness.run('epcis.capture', capture(anonymous), ['farm']);
    expectRejected(await harness.run('epcis.capture', capture(anonymous), ['farm']), 'duplicate-event', 'ni:///sha-256;');
  });

  it('accepts an error declaration only from the original submitter, keeping the original with its correction', async () => {
    const harness = new ContractHarness();
    const eventID = 'urn:uuid:0b8f0f34-5a3c-4d6f-9c1e-3f1e8c2a7b10';
    await harness.run('epcis.capture', capture(commissioning([sgtin(1)], { eventID })), ['farm']);
    const declaration = (extra: object = {}) =>
      commissioning([sgtin(1)], { eventID, errorDeclaration: { declarationTime: '2026-03-02T00:00:00Z', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:1'] }, ...extra });
    expectRejected(await harness.run('epcis.capture', capture(declaration()), ['carrier']), 'not-original-submitter', id('farm'));
    expect((await harness.run('epcis.capture', capture(declaration()), ['farm'])).result.status).toBe('accepted');
    expect(await harness.state.get(`event/${eventID}`)).toMatchObject({ submitter: id('farm'), corrections: [{ reason: 'incorrect_data', correctiveEventIds: ['urn:uuid:1'] }] });
    const unknown = commissioning([sgtin(1)], { eventID: 'urn:uuid:ffffffff-0000-4000-8000-000000000000', errorDeclaration: { declarationTime: '2026-03-02T00:00:00Z' } });
    expectRejected(await harness.run('epcis.capture', capture(unknown), ['farm']), 'unknown-event');
  });

  it('returns the recorded events with their parties for the auditor indices', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm']);
    const run = await harness.run('epcis.capture', capture(shipping({ epcs: [sgtin(1)] }, id('carrier'))), ['farm']);
    expect(run.block.events).toHaveLength(1);
    expect(run.block.events[0]).toMatchObject({ position: 0, participants: [PARTIES.farm.id, PARTIES.carrier.id].sort(), eventHash: expect.stringMatching(/^ni:\/\/\/sha-256;/) });
  });
});
