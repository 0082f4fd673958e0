/**
 * Execution is total (issue 10, docs/security.md "Malicious participants"): quantities are
 * bounded and every sum of them checked, so the sequence that once halted every validator (a lot
 * of 1.7976931348623157e308 handed over until its holdings overflowed to Infinity, which no state
 * root can encode) is refused with a reason code; a contract that throws is caught at the
 * transaction boundary; only a failed read of the state escapes.
 */
import { describe, expect, it } from 'vitest';
import { CANONICAL_DEPTH_MAX, canonicalize, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { certainlyCanonical, executeBlock, StateReadError } from '../../contracts/executor.js';
import { INVENTORY_LIMITS } from '../../contracts/rules/inventory.js';
import { MemoryState } from '../../contracts/state.js';
import { CHAIN_ID, ContractHarness, GENESIS_TIME, id, prefixOf } from './support/harness.js';
import { capture, commissioning, commissionLot, receiving, shipping } from './support/epcis.js';

const lot = (name: string) => `urn:epc:class:lgtin:${prefixOf('farm')}.107346.${name}`;
const sgtin = (serial: number) => `urn:epc:id:sgtin:${prefixOf('farm')}.107346.${serial}`;

function rejectedWith(result: { status: string }, code: string) {
  expect(result).toMatchObject({ status: 'rejected', code });
}

describe('quantities', () => {
  it('refuses a lot commissioned with more than quantityMax, Number.MAX_VALUE included, and keeps executing', async () => {
    const harness = new ContractHarness();
    const run = await harness.run('epcis.capture', capture(commissionLot(lot('HUGE'), Number.MAX_VALUE)), ['farm']);
    rejectedWith(run.result, 'quantity-out-of-range');
    expect(await harness.record(lot('HUGE'))).toBeUndefined();
    rejectedWith((await harness.run('epcis.capture', capture(commissionLot(lot('JUST-OVER'), INVENTORY_LIMITS.quantityMax * 1.5)), ['farm'])).result, 'quantity-out-of-range');
    expect((await harness.run('epcis.capture', capture(commissionLot(lot('AT-LIMIT'), INVENTORY_LIMITS.quantityMax)), ['farm'])).result).toEqual({ status: 'accepted' });
    expect(await harness.record(lot('AT-LIMIT'))).toMatchObject({ holdings: { [id('farm')]: INVENTORY_LIMITS.quantityMax } });
  });

  it('survives the sequence that halted the network: hand-overs whose sum would overflow are refused, and the state root stays encodable', async () => {
    const harness = new ContractHarness();
    // Two ordinary participants: the farm commissions the largest lot it may, and hands it over three times with its carrier co-signing.
    expect((await harness.run('epcis.capture', capture(commissionLot(lot('MAX'), INVENTORY_LIMITS.quantityMax)), ['farm'])).result.status).toBe('accepted');
    const handOver = (quantity: number) => capture(shipping({ lots: [[lot('MAX'), quantity]] }, id('carrier')));
    rejectedWith((await harness.run('epcis.capture', handOver(Number.MAX_VALUE), ['farm', 'carrier'])).result, 'quantity-out-of-range');
    expect((await harness.run('epcis.capture', handOver(INVENTORY_LIMITS.quantityMax / 2), ['farm', 'carrier'])).result.status).toBe('accepted');
    expect((await harness.run('epcis.capture', handOver(INVENTORY_LIMITS.quantityMax / 2), ['farm', 'carrier'])).result.status).toBe('accepted');
    rejectedWith((await harness.run('epcis.capture', handOver(1), ['farm', 'carrier'])).result, 'insufficient-quantity');
    expect(await harness.record(lot('MAX'))).toMatchObject({ holdings: { [id('carrier')]: INVENTORY_LIMITS.quantityMax } });
    // The chain goes on: roots are computed for every block, and a later event commits.
    expect(harness.stateRoot).toMatch(/^[0-9a-f]{64}$/);
    expect((await harness.run('epcis.capture', capture(commissioning([sgtin(1)])), ['farm'])).result.status).toBe('accepted');
  });

  it('refuses negative and non-finite quantities in every quantity list, and turns -0 into 0', async () => {
    const harness = new ContractHarness();
    expect((await harness.run('epcis.capture', capture(commissionLot(lot('ZERO'), -0)), ['farm'])).result.status).toBe('accepted');
    const record = await harness.record(lot('ZERO'));
    expect(Object.is(record?.holdings?.[id('farm')] ?? 0, -0)).toBe(false);
    // The zod schema refuses negative quantities before any rule runs.
    rejectedWith((await harness.run('epcis.capture', capture(commissionLot(lot('NEG'), -1)), ['farm'])).result, 'invalid-event');
  });

  it('bounds the shipments in transit of one record', async () => {
    const harness = new ContractHarness();
    await harness.run('epcis.capture', capture(commissionLot(lot('MANY'), INVENTORY_LIMITS.shipmentsInTransitMax + 5)), ['farm']);
    const block = [];
    for (let index = 0; index <= INVENTORY_LIMITS.shipmentsInTransitMax; index++) {
      block.push(harness.transaction('epcis.capture', capture(shipping({ lots: [[lot('MANY'), 1]] }, id('distributor'))), ['farm']));
    }
    const executed = await harness.block(block);
    expect(executed.results.slice(0, INVENTORY_LIMITS.shipmentsInTransitMax).every((result) => result.status === 'accepted')).toBe(true);
    rejectedWith(executed.results[INVENTORY_LIMITS.shipmentsInTransitMax]!, 'record-limit-reached');
    expect((await harness.record(lot('MANY')))?.inTransit).toHaveLength(INVENTORY_LIMITS.shipmentsInTransitMax);
    // Receiving empties the list again.
    expect((await harness.run('epcis.capture', capture(receiving({ lots: [[lot('MANY'), INVENTORY_LIMITS.shipmentsInTransitMax]] }, id('farm'))), ['distributor'])).result.status).toBe('accepted');
    expect((await harness.record(lot('MANY')))?.inTransit).toEqual([]);
  });
});

describe('the transaction boundary', () => {
  it('records a contract that throws as execution-failed, discards its writes, and executes the rest of the block the same on every validator', async () => {
    // A state that holds what no contract expects (a record that is not an object) makes the capture contract throw a TypeError.
    const harness = new ContractHarness();
    const broken = lot('BROKEN');
    harness.state.values.set(`lot/${broken}`, 42 as JsonValue);
    const throwing = harness.transaction('epcis.capture', capture(shipping({ lots: [[broken, 1]] }, id('carrier'))), ['farm']);
    const fine = harness.transaction('epcis.capture', capture(commissioning([sgtin(7)])), ['farm']);
    const context = { chainId: CHAIN_ID, height: 1, timestamp: GENESIS_TIME + 1 };

    const first = await executeBlock(harness.state, context, [throwing, fine]);
    expect(first.results[0]).toEqual({ status: 'rejected', code: 'execution-failed', message: 'the contract for epcis.capture failed on this transaction; it changed nothing' });
    expect(first.results[1]).toEqual({ status: 'accepted' });
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0]).toMatchObject({ position: 0, type: 'epcis.capture' });
    expect(first.failures[0]!.error).toBeInstanceOf(TypeError);
    // Only the seen-marker of the failed transaction and the accepted one's writes.
    expect(first.writes.some((write) => write.key === `lot/${broken}`)).toBe(false);
    expect(first.writes.some((write) => write.key === `item/${sgtin(7)}`)).toBe(true);

    const second = await executeBlock(harness.state, context, [throwing, fine]);
    expect(second.results).toEqual(first.results);
    expect(canonicalize(second.writes)).toBe(canonicalize(first.writes));
  });

  it('refuses, rather than records, writes no state root could encode', async () => {
    // A state value that a contract copies into its writes: a number JSON has no form for.
    const harness = new ContractHarness();
    const item = sgtin(8);
    await harness.run('epcis.capture', capture(commissioning([item])), ['farm']);
    const record = (await harness.record(item))!;
    harness.state.values.set(`item/${item}`, { ...record, excursions: Number.POSITIVE_INFINITY } as unknown as JsonValue);
    const executed = await harness.block([harness.transaction('epcis.capture', capture(shipping({ epcs: [item] }, id('carrier'))), ['farm'])]);
    expect(executed.results[0]).toMatchObject({ status: 'rejected', code: 'execution-failed' });
    expect((executed.results[0] as { message: string }).message).toContain(`item/${item}`);
    expect(executed.failures).toHaveLength(1);
  });

  it('checks writes for encodability without encoding them, and never passes one that canonicalize refuses', () => {
    const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)]);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    class Thing {
      a = 1;
    }
    const values: unknown[] = [
      null, true, 0, -0, 1e300, 'text', 'a\u0000"\\b', '\ud83d\ude00', { b: [1, { c: 'd' }], a: null, skipped: undefined }, Object.create(null),
      Number.NaN, Number.POSITIVE_INFINITY, '\ud800', 'x\udc00', { '\ud800': 1 }, [1, undefined], [, 1], new Thing(), new Date(0), new Map(), 1n, () => 1, Symbol('s'), undefined, cyclic,
      // A write's value sits at depth 2 of [{key, value}]: 62 more levels of nesting are the most canonicalize takes.
      nested(CANONICAL_DEPTH_MAX - 2), nested(CANONICAL_DEPTH_MAX - 1),
    ];
    for (const value of values) {
      let encodes = true;
      try {
        canonicalize([{ key: 'k', value }]);
      } catch {
        encodes = false;
      }
      // Certain means encodable; otherwise the executor asks canonicalize itself. Plain data is certain.
      if (certainlyCanonical(value, 2)) expect(encodes).toBe(true);
    }
    for (const plain of values.slice(0, 10)) expect(certainlyCanonical(plain, 2)).toBe(true);
    // At the depth limit both agree exactly.
    expect(certainlyCanonical(nested(CANONICAL_DEPTH_MAX - 2), 2)).toBe(true);
    expect(certainlyCanonical(nested(CANONICAL_DEPTH_MAX - 1), 2)).toBe(false);
    expect(() => canonicalize([{ key: 'k', value: nested(CANONICAL_DEPTH_MAX - 1) }])).toThrow(/deeper/);
  });

  it('leaves what an earlier transaction of the block wrote untouched by a later one that is refused after changing it', async () => {
    // The executor fuzz found this: contracts change the records they read in place, and a read of a
    // value written earlier in the block returned that very object.
    const harness = new ContractHarness();
    const commission = harness.transaction('epcis.capture', capture(commissionLot(lot('SHARED'), 10)), ['farm']);
    const shipThenRefused = harness.transaction(
      'epcis.capture',
      capture(shipping({ lots: [[lot('SHARED'), 5]] }, id('carrier')), commissioning([`urn:epc:id:sgtin:${prefixOf('processor')}.107346.1`])),
      ['farm'],
    );
    const executed = await harness.block([commission, shipThenRefused]);
    expect(executed.results[0]).toEqual({ status: 'accepted' });
    rejectedWith(executed.results[1]!, 'not-own-company-prefix');
    expect(await harness.record(lot('SHARED'))).toMatchObject({ holdings: { [id('farm')]: 10 }, inTransit: [] });
  });

  it('lets a failed state read escape as StateReadError: a disk that fails is not a verdict on the transaction', async () => {
    const failing = {
      get: async (key: string): Promise<JsonValue | undefined> => {
        if (key.startsWith('participant/')) throw new Error('LEVEL_DATABASE_NOT_OPEN');
        return undefined;
      },
    };
    const harness = new ContractHarness();
    const transaction = harness.transaction('epcis.capture', capture(commissioning([sgtin(9)])), ['farm']);
    const execution = executeBlock(failing, { chainId: CHAIN_ID, height: 1, timestamp: GENESIS_TIME }, [transaction]);
    await expect(execution).rejects.toBeInstanceOf(StateReadError);
    await expect(execution).rejects.toThrow(/LEVEL_DATABASE_NOT_OPEN/);
    // An ordinary memory state with no such failure executes it.
    const state = new MemoryState();
    state.apply([...harness.state.values].map(([key, value]) => ({ key, value })));
    expect((await executeBlock(state, { chainId: CHAIN_ID, height: 1, timestamp: GENESIS_TIME }, [transaction])).results).toEqual([{ status: 'accepted' }]);
  });
});
