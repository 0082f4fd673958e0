/**
 * Product master data (contracts/rules/master-data.ts) and the bound on identifiers: a capture's
 * EPCClass master data names the maker's products, only the prefix owner's is kept, a lot falls
 * back to its product's description, and identifiers too long for a state key are refused.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { productOf } from '../../contracts/rules/master-data.js';
import { INVENTORY_LIMITS } from '../../contracts/rules/inventory.js';
import { ContractHarness, id, prefixOf } from './support/harness.js';
import { capture, commissionLot } from './support/epcis.js';

const lot = (name: string, party: 'farm' | 'processor' = 'farm') => `urn:epc:class:lgtin:${prefixOf(party)}.107346.${name}`;

function withMasterData(document: JsonValue, elements: Array<{ id: string; description: string; attribute?: string }>): JsonValue {
  return {
    ...(document as Record<string, JsonValue>),
    epcisHeader: {
      epcisMasterData: {
        vocabularyList: [
          {
            type: 'urn:epcglobal:epcis:vtype:EPCClass',
            vocabularyElementList: elements.map((element) => ({ id: element.id, attributes: [{ id: element.attribute ?? 'urn:epcglobal:cbv:mda#descriptionShort', attribute: element.description }] })),
          },
        ],
      },
    },
  };
}

describe('product master data', () => {
  it("records the maker's product descriptions, and not another company's", async () => {
    const harness = new ContractHarness();
    const payload = capture(commissionLot(lot('L1'), 10)) as { document: JsonValue };
    const document = withMasterData(payload.document, [
      { id: lot('L1'), description: 'Romaine lettuce, whole heads' },
      { id: `urn:epc:idpat:sgtin:${prefixOf('farm')}.107346.*`, description: 'Romaine lettuce', attribute: 'urn:epcglobal:cbv:mda#tradeItemDescription' },
      { id: lot('SALAD', 'processor'), description: 'Not the farm’s to describe' },
    ]);
    const run = await harness.run('epcis.capture', { document }, ['farm']);
    expect(run.result).toEqual({ status: 'accepted' });
    expect(await productOf(harness.state, lot('L1'))).toMatchObject({ description: 'Romaine lettuce, whole heads', recordedBy: id('farm'), txId: run.txId });
    // Another lot of the same product takes the product's description.
    expect((await productOf(harness.state, lot('L2')))?.description).toBe('Romaine lettuce');
    expect(await productOf(harness.state, lot('SALAD', 'processor'))).toBeUndefined();
  });

  it('refuses identifiers and event ids too long for a state key', async () => {
    const harness = new ContractHarness();
    const long = lot('X'.repeat(INVENTORY_LIMITS.identifierLengthMax));
    expect((await harness.run('epcis.capture', capture(commissionLot(long, 1)), ['farm'])).result).toMatchObject({ status: 'rejected', code: 'identifier-too-long' });
    const longId = `urn:uuid:${'a'.repeat(INVENTORY_LIMITS.identifierLengthMax)}`;
    expect((await harness.run('epcis.capture', capture({ ...commissionLot(lot('OK'), 1), eventID: longId }), ['farm'])).result).toMatchObject({ status: 'rejected', code: 'identifier-too-long' });
    expect((await harness.run('epcis.capture', capture(commissionLot(lot('OK'), 1)), ['farm'])).result).toEqual({ status: 'accepted' });
  });
});
