/**
 * The driver's clock fault (faults.clockOffsetMs, and its runtime setter for chaos runs): every
 * input the consensus core is given carries the skewed time, and only offsets within the bound
 * are taken.
 */
import { describe, expect, it } from 'vitest';
import type { ConsensusCore } from '../../consensus/core.js';
import type { ConsensusInput, ConsensusOutput } from '../../consensus/types.js';
import { CLOCK_FAULT_OFFSET_MAX_MS } from '../../node/config.js';
import { ConsensusDriver, type DriverOptions } from '../../node/driver.js';
import { silentLogger } from '../../node/logger.js';
import { createMetrics } from '../../node/metrics.js';

const REAL_NOW_MS = 1_800_000_000_000;

/** A core that records the time of each input and asks for a tick only an hour on. */
function recordingCore() {
  const times: number[] = [];
  const idle = (nowMs: number): ConsensusOutput[] => [{ kind: 'timer', atMs: nowMs + 3_600_000 }];
  const core = {
    start: (nowMs: number) => (times.push(nowMs), idle(nowMs)),
    step: (input: ConsensusInput) => (times.push(input.nowMs), idle(input.nowMs)),
    progress: { round: 1, safetyHeld: false },
    safetyRecovered: undefined,
  };
  return { core: core as unknown as ConsensusCore, times };
}

function driverWith(core: ConsensusCore, clockOffsetMs?: number): ConsensusDriver {
  const options = {
    core,
    consensusStore: { handOverProofs: async () => new Map() },
    store: {},
    application: {},
    transport: { sendBytes: () => true, broadcastBytes: () => undefined },
    logger: silentLogger(),
    metrics: createMetrics(),
    now: () => REAL_NOW_MS,
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
  } as unknown as DriverOptions;
  return new ConsensusDriver(options);
}

/** Waits until the core has been given `count` inputs (the driver's loop runs them asynchronously). */
async function inputsReached(times: readonly number[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (times.length < count && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}

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
