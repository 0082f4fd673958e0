/**
 * The driver's clock fault (faults.clockOffsetMs, and its runtime setter for chaos runs): every
 * input the consensus core is given carries the skewed time, and only offsets within the bound
 * are taken.
 */
import { describe, expect, it } from 'vitest';
import type { ConsensusCore } from '../../consensus/core.js';
import { CLOCK_FAULT_OFFSET_MAX_MS } from '../../node/config.js';
import { driverWith as recordingDriver, inputsReached, recordingCore } from './support/recording-driver.js';

const REAL_NOW_MS = 1_800_000_000_000;

const driverWith = (core: ConsensusCore, clockOffsetMs?: number) => recordingDriver(core, { now: () => REAL_NOW_MS, ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }) });

describe('the consensus driver\'s clock fault', () => {
  it('gives the core the real time when no fault is set', async () => {
    const { core, times } = recordingCore();
    const driver = driverWith(core);
    await driver.start();
    driver.transactionsReady();
    await inputsReached(times, 2);
    expect(times).toEqual([REAL_NOW_MS, REAL_NOW_MS]);
    await driver.stop();
  });

  it('skews every input by the configured offset, and by a new one set at runtime', async () => {
    const { core, times } = recordingCore();
    const driver = driverWith(core, -180_000);
    await driver.start();
    driver.transactionsReady();
    await inputsReached(times, 2);
    driver.setClockOffsetMs(60_000);
    driver.transactionsArrived();
    await inputsReached(times, 3);
    expect(times).toEqual([REAL_NOW_MS - 180_000, REAL_NOW_MS - 180_000, REAL_NOW_MS + 60_000]);
    await driver.stop();
  });

  it('refuses offsets beyond the bound or not whole milliseconds', () => {
    const driver = driverWith(recordingCore().core);
    driver.setClockOffsetMs(-CLOCK_FAULT_OFFSET_MAX_MS);
    expect(() => driver.setClockOffsetMs(CLOCK_FAULT_OFFSET_MAX_MS + 1)).toThrow(/clock offset/);
    expect(() => driver.setClockOffsetMs(0.5)).toThrow(/clock offset/);
    expect(() => driverWith(recordingCore().core, -CLOCK_FAULT_OFFSET_MAX_MS - 1)).toThrow(/clock offset/);
  });
});
