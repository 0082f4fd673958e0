import { describe, expect, it } from 'vitest';
import { trace, readRecall } from '../../contracts/queries.js';
import { ContractHarness, id, prefixOf } from './support/harness.js';
import { capture, commissionLot, receiving, shipping, temperatureReading, transformation } from './support/epcis.js';

const lettuce = `urn:epc:class:lgtin:${prefixOf('farm')}.0012345.HARVEST-0301`;
const salad = `urn:epc:class:lgtin:${prefixOf('processor')}.0077777.SALAD-0302`;

describe('farm to retail', () => {
  it('follows a lot from harvest through processing, a cold-chain excursion and release, to the shelf, and recalls it', async () => {
    const harness = new ContractHarness();
    const accepted = async (...args: Parameters<ContractHarness['run']>) => {
      const run = await harness.run(...args);
      expect(run.result, `${args[0]} by ${args[2].join(', ')}`).toEqual({ status: 'accepted' });
      return run;
    };

    // The farm harvests 100 kg of lettuce and hands it to the processor, both signing.
    await accepted('epcis.capture', capture(commissionLot(lettuce, 100, { minimum: 1, maximum: 5 })), ['farm']);
    await accepted('epcis.capture', capture(shipping({ lots: [[lettuce, 100]] }, id('processor'))), ['farm', 'processor']);

    // The processor turns it into 80 kg of salad that must stay between 2 and 8 °C.
    await accepted('epcis.capture', capture(transformation([[lettuce, 100]], [[salad, 80]], { minimum: 2, maximum: 8 })), ['processor']);

    // The carrier picks it up; on the road its logger reads 11 °C.
    await accepted('epcis.capture', capture(shipping({ lots: [[salad, 80]] }, id('carrier'))), ['processor']);
    await accepted('epcis.capture', capture(receiving({ lots: [[salad, 80]] }, id('processor'))), ['carrier']);
    await accepted('epcis.capture', capture(temperatureReading({ lots: [[salad, 80]] }, 11)), ['carrier']);
    expect(await harness.record(salad)).toMatchObject({ quarantine: { reason: expect.stringContaining('11') }, excursions: 1 });
    const blocked = await harness.run('epcis.capture', capture(shipping({ lots: [[salad, 80]] }, id('distributor'))), ['carrier']);
    expect(blocked.result).toMatchObject({ status: 'rejected', code: 'quarantined' });

    // The laboratory tests it and releases it; it goes on to the distributor and part of it to a retailer.
    await accepted('quarantine.release', { target: salad, reason: 'core temperature and microbiology within limits' }, ['lab']);
    await accepted('epcis.capture', capture(shipping({ lots: [[salad, 80]] }, id('distributor'))), ['carrier']);
    await accepted('epcis.capture', capture(receiving({ lots: [[salad, 80]] }, id('carrier'))), ['distributor']);
    await accepted('epcis.capture', capture(shipping({ lots: [[salad, 30]] }, id('retailer'))), ['distributor']);
    await accepted('epcis.capture', capture(receiving({ lots: [[salad, 30]] }, id('distributor'))), ['retailer']);
    expect(await harness.record(salad)).toMatchObject({ holdings: { [id('distributor')]: 50, [id('retailer')]: 30 }, inTransit: [] });

    // Trace back from the salad to the field, and forward from the field to the salad.
    const back = await trace(harness.state, salad, 'back');
    expect(back?.nodes.map((node) => node.id)).toEqual([salad, lettuce]);
    expect(back?.edges).toEqual([{ from: salad, to: lettuce, relation: 'made-from' }]);
    expect(back?.nodes[1]).toMatchObject({ commissionedBy: id('farm'), status: 'consumed' });
    const forward = await trace(harness.state, lettuce, 'forward');
    expect(forward?.nodes.map((node) => node.id)).toEqual([lettuce, salad]);

    // The regulator recalls the original lettuce lot: the salad made from it is recalled too.
    const recall = await accepted('recall.issue', { target: lettuce, reason: 'E. coli O157:H7 in irrigation water' }, ['regulator']);
    expect(await readRecall(harness.state, recall.txId)).toMatchObject({ target: lettuce, scope: [lettuce, salad], issuedBy: [id('regulator')] });
    for (const [holder, quantity] of [['distributor', 50], ['retailer', 30]] as const) {
      const moved = await harness.run('epcis.capture', capture(shipping({ lots: [[salad, quantity]] }, id('farm'))), [holder]);
      expect(moved.result).toMatchObject({ status: 'rejected', code: 'recalled' });
    }
  });
});
