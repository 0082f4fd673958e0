/**
 * The driver's input queue (node/driver.ts): a signal (transactions ready, the ledger advanced,
 * bodies arrived) that is already waiting since the last message absorbs the same signal again,
 * taking its later time, so a busy core is not handed one input per admitted transaction; messages
 * and their order with the signals are kept.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessageBytes } from '../../consensus/codec.js';
import { driverWith, inputsReached, recordingCore } from './support/recording-driver.js';

describe('the consensus driver\'s signals', () => {
  it('reach a busy core once per kind between two messages, with the latest time, and every message in its place', async () => {
    const { core, times, kinds } = recordingCore();
    let clockMs = 1_000;
    const driver = driverWith(core, { now: () => clockMs++ });
    await driver.start();
    // The first signal starts the loop, which hands it to the core and then waits on its outputs;
    // everything after it queues meanwhile, in this one synchronous turn.
    driver.transactionsReady();
    for (let index = 0; index < 1_000; index++) driver.transactionsReady();
    driver.ledgerAdvanced(1);
    driver.transactionsArrived();
    driver.transactionsReady();
    driver.ledgerAdvanced(2);
    const lastBeforeMessageMs = clockMs - 1;
    driver.receiveFrame('validator-1', encodeMessageBytes({ kind: 'block-request', requestId: 1, blockHash: 'ab'.repeat(32), count: 1 }));
    driver.transactionsReady();
    driver.transactionsReady();
    const lastMs = clockMs - 1;
    await inputsReached(times, 7);
    // Let the loop run dry: nothing more may come.
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(kinds).toEqual(['start', 'transactions-ready', 'transactions-ready', 'ledger-advanced', 'transactions-arrived', 'message', 'transactions-ready']);
    // The merged ledger-advanced carries the time of its second call, the last one that of the last call.
    expect(times[3]).toBe(lastBeforeMessageMs);
    expect(times[6]).toBe(lastMs);
    await driver.stop();
  });
});
