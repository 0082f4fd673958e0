/**
 * A ConsensusDriver (node/driver.ts) around a core that only records the inputs it is given, with
 * no store, transport or application behind it: for tests of what the driver hands the core.
 */
import type { ConsensusCore } from '../../../consensus/core.js';
import type { ConsensusInput, ConsensusOutput } from '../../../consensus/types.js';
import { ConsensusDriver, type DriverOptions } from '../../../node/driver.js';
import { silentLogger } from '../../../node/logger.js';
import { createMetrics } from '../../../node/metrics.js';

/** A core that records each input's kind and time (start's as 'start') and asks for a tick only an hour on. */
export function recordingCore() {
  const times: number[] = [];
  const kinds: string[] = [];
  const record = (kind: string, nowMs: number): ConsensusOutput[] => {
    times.push(nowMs);
    kinds.push(kind);
    return [{ kind: 'timer', atMs: nowMs + 3_600_000 }];
  };
  const core = {
    start: (nowMs: number) => record('start', nowMs),
    step: (input: ConsensusInput) => record(input.kind, input.nowMs),
    progress: { round: 1, safetyHeld: false },
    safetyRecovered: undefined,
  };
  return { core: core as unknown as ConsensusCore, times, kinds };
}

export function driverWith(core: ConsensusCore, options: { now: () => number; clockOffsetMs?: number }): ConsensusDriver {
  const driverOptions = {
    core,
    consensusStore: { handOverProofs: async () => new Map(), noteExecuted: () => undefined, pruneAtOrBelow: () => undefined },
    store: {},
    application: {},
    transport: { sendBytes: () => true, broadcastBytes: () => undefined },
    logger: silentLogger(),
    metrics: createMetrics(),
    now: options.now,
    ...(options.clockOffsetMs === undefined ? {} : { clockOffsetMs: options.clockOffsetMs }),
  } as unknown as DriverOptions;
  return new ConsensusDriver(driverOptions);
}

/** Waits until the core has been given `count` inputs (the driver's loop runs them asynchronously). */
export async function inputsReached(times: readonly number[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (times.length < count && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}
