/**
 * GS1-Capture-Error-Behaviour at the contract (contracts/rules/capture.ts; docs/contracts.md,
 * "Capture error behaviour"): rollback records all events or none, proceed records those that
 * pass and lists each refused one with its rule's code.
 */
import { describe, expect, it } from 'vitest';
import { stateKeys } from '../../contracts/state.js';
import type { CaptureOutcome } from '../../contracts/rules/capture.js';
import { ContractHarness, prefixOf } from './support/harness.js';
import { capture, commissioning } from './support/epcis.js';

const sgtin = (serial: number, party: 'farm' | 'processor' = 'farm') => `urn:epc:id:sgtin:${prefixOf(party)}.107346.${serial}`;

function withBehaviour(payload: ReturnType<typeof capture>, captureErrorBehaviour: unknown) {
  return { ...(payload as Record<string, never>), captureErrorBehaviour } as never;
}

describe('capture error behaviour', () => {
  it('proceed records the events that pass and lists each refused one by index, id and code', async () => {
    const harness = new ContractHarness();
    const payload = withBehaviour(capture(commissioning([sgtin(1)]), commissioning([sgtin(2, 'processor')]), commissioning([sgtin(3)])), 'proceed');
    const run = await harness.run('epcis.capture', payload, ['farm']);
    expect(run.result).toEqual({ status: 'accepted' });
    expect(run.block.events).toHaveLength(2);
    expect(await harness.record(sgtin(1))).toMatchObject({ status: 'active' });
    expect(await harness.record(sgtin(2, 'processor'))).toBeUndefined();
    expect(await harness.record(sgtin(3))).toMatchObject({ status: 'active' });
    const outcome = (await harness.state.get(stateKeys.captureOutcome(run.txId))) as unknown as CaptureOutcome;
    expect(outcome.refusedCount).toBe(1);
    expect(outcome.refused).toEqual([{ index: 1, eventId: expect.stringMatching(/^ni:\/\/\/sha-256;/), code: 'not-own-company-prefix', message: expect.stringContaining(sgtin(2, 'processor')) }]);
  });

  it('a refused event of a proceed capture leaves no trace, even of what it changed before its rule refused it', async () => {
    const harness = new ContractHarness();
    // The second event commissions sgtin 5 and then fails on the processor's EPC: sgtin 5 must stay unknown.
    const payload = withBehaviour(capture(commissioning([sgtin(4)]), commissioning([sgtin(5), sgtin(6, 'processor')])), 'proceed');
    expect((await harness.run('epcis.capture', payload, ['farm'])).result.status).toBe('accepted');
    expect(await harness.record(sgtin(5))).toBeUndefined();
    // sgtin 5 can still be commissioned afterwards.
    expect((await harness.run('epcis.capture', capture(commissioning([sgtin(5)])), ['farm'])).result.status).toBe('accepted');
  });

  it('a proceed capture of which no event passes records nothing and is refused with the first code', async () => {
    const harness = new ContractHarness();
    const run = await harness.run('epcis.capture', withBehaviour(capture(commissioning([sgtin(7, 'processor')])), 'proceed'), ['farm']);
    expect(run.result).toMatchObject({ status: 'rejected', code: 'not-own-company-prefix', message: expect.stringContaining('no event of the document was recorded') });
    expect(await harness.state.get(stateKeys.captureOutcome(run.txId))).toBeUndefined();
  });

  it('rollback, named or by default, records nothing when one event is refused; any other behaviour is malformed', async () => {
    const harness = new ContractHarness();
    for (const payload of [withBehaviour(capture(commissioning([sgtin(8)]), commissioning([sgtin(9, 'processor')])), 'rollback'), capture(commissioning([sgtin(8)]), commissioning([sgtin(9, 'processor')]))]) {
      expect((await harness.run('epcis.capture', payload, ['farm'])).result).toMatchObject({ status: 'rejected', code: 'not-own-company-prefix' });
      expect(await harness.record(sgtin(8))).toBeUndefined();
    }
    const run = await harness.run('epcis.capture', withBehaviour(capture(commissioning([sgtin(10)])), 'skip'), ['farm']);
    expect(run.result).toMatchObject({ status: 'rejected', code: 'malformed-payload', message: expect.stringContaining('captureErrorBehaviour') });
  });
});
