import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { ContractHarness, id, prefixOf, type PartyName } from './support/harness.js';
import { capture, commissioning, commissionLot, receiving, resetEventTimes, shipping, temperatureReading } from './support/epcis.js';

/** A small language of supply-chain steps; any sequence of them is a valid input, accepted or not. */
type Step =
  | { kind: 'commission'; serial: number }
  | { kind: 'lot'; name: number; quantity: number }
  | { kind: 'ship'; serial: number; from: PartyName; to: PartyName }
  | { kind: 'receive'; serial: number; from: PartyName; by: PartyName }
  | { kind: 'reading'; name: number; celsius: number }
  | { kind: 'recall'; serial: number };

const parties: PartyName[] = ['farm', 'carrier', 'distributor'];
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('commission' as const), serial: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('lot' as const), name: fc.integer({ min: 1, max: 3 }), quantity: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('ship' as const), serial: fc.integer({ min: 1, max: 4 }), from: fc.constantFrom(...parties), to: fc.constantFrom(...parties) }),
  fc.record({ kind: fc.constant('receive' as const), serial: fc.integer({ min: 1, max: 4 }), from: fc.constantFrom(...parties), by: fc.constantFrom(...parties) }),
  fc.record({ kind: fc.constant('reading' as const), name: fc.integer({ min: 1, max: 3 }), celsius: fc.integer({ min: -5, max: 15 }) }),
  fc.record({ kind: fc.constant('recall' as const), serial: fc.integer({ min: 1, max: 4 }) }),
);

const epc = (serial: number) => `urn:epc:id:sgtin:${prefixOf('farm')}.107346.${serial}`;
const lot = (name: number) => `urn:epc:class:lgtin:${prefixOf('farm')}.107346.L${name}`;

function transaction(harness: ContractHarness, entry: Step, index: number) {
  // Each event carries its step index in a readPoint, so identical steps are distinct events.
  const at = { readPoint: { id: `urn:epc:id:sgln:${prefixOf('farm')}.00001.${index}` } } as Record<string, JsonValue>;
  switch (entry.kind) {
    case 'commission':
      return harness.transaction('epcis.capture', capture(commissioning([epc(entry.serial)], at)), ['farm']);
    case 'lot':
      return harness.transaction('epcis.capture', capture({ ...commissionLot(lot(entry.name), entry.quantity, { minimum: 2, maximum: 8 }), ...at }), ['farm']);
    case 'ship':
      return harness.transaction('epcis.capture', capture(shipping({ epcs: [epc(entry.serial)] }, id(entry.to), at)), [entry.from]);
    case 'receive':
      return harness.transaction('epcis.capture', capture({ ...receiving({ epcs: [epc(entry.serial)] }, id(entry.from)), ...at }), [entry.by]);
    case 'reading':
      return harness.transaction('epcis.capture', capture({ ...temperatureReading({ lots: [[lot(entry.name), 1]] }, entry.celsius), ...at }), ['farm']);
    case 'recall':
      return harness.transaction('recall.issue', { target: epc(entry.serial), reason: `step ${index}` }, ['regulator']);
  }
}

async function stateRootAfter(steps: Step[]): Promise<{ root: string; results: string[] }> {
  resetEventTimes();
  const harness = new ContractHarness();
  const results: string[] = [];
  // Three transactions per block, so that later transactions see earlier ones' writes within a block.
  for (let start = 0; start < steps.length; start += 3) {
    const block = await harness.block(steps.slice(start, start + 3).map((entry, offset) => transaction(harness, entry, start + offset)));
    results.push(...block.results.map((result) => (result.status === 'accepted' ? 'accepted' : result.code)));
  }
  return { root: harness.stateRoot, results };
}

describe('execution is deterministic', () => {
  it('gives the same state root for the same transactions in the same order, and another when one step changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 18 }), fc.nat(), async (steps, which) => {
        const first = await stateRootAfter(steps);
        const second = await stateRootAfter(steps);
        expect(second).toEqual(first);
        const changed = [...steps];
        const index = which % steps.length;
        const original = changed[index]!;
        // Change what the step is about: a different serial, lot or target.
        changed[index] =
          original.kind === 'lot' || original.kind === 'reading' ? { ...original, name: original.name + 10 } : { ...original, serial: original.serial + 10 };
        expect((await stateRootAfter(changed)).root).not.toBe(first.root);
      }),
      { seed: 4242, numRuns: 40 },
    );
  });
});
