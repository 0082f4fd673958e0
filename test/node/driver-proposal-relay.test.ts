/**
 * The driver sends the relay batch being gathered just before a proposal leaves
 * (DriverOptions.beforeProposal, node/driver.ts), so the transactions a leader admitted in the
 * last milliseconds are queued to each peer ahead of the proposal that names them; other
 * broadcasts (votes, timeouts, sync-info) leave without it.
 */
import { describe, expect, it } from 'vitest';
import type { ConsensusCore } from '../../consensus/core.js';
import type { ConsensusMessage } from '../../consensus/messages.js';
import type { ConsensusInput, ConsensusOutput } from '../../consensus/types.js';
import { ConsensusDriver, type DriverOptions } from '../../node/driver.js';
import { silentLogger } from '../../node/logger.js';
import { createMetrics } from '../../node/metrics.js';
import { LockstepCluster, minCommitted } from '../consensus/support/lockstep-cluster.js';

/** Real messages of each kind a validator broadcasts, from a short run of four cores. */
function broadcastMessages(): ConsensusMessage[] {
  const cluster = new LockstepCluster(4);
  cluster.runUntil(cluster.nowMs + 20_000, () => minCommitted(cluster) >= 2);
  return cluster.nodes.flatMap((node) => node.outputs.flatMap((output) => (output.kind === 'broadcast' ? [output.message] : [])));
}

/** A core that broadcasts `message` at each step. */
function coreBroadcasting(message: ConsensusMessage): ConsensusCore {
  const outputs = (nowMs: number): ConsensusOutput[] => [
    { kind: 'broadcast', message, epoch: 0 },
    { kind: 'timer', atMs: nowMs + 3_600_000 },
  ];
  return {
    start: (nowMs: number) => [{ kind: 'timer', atMs: nowMs + 3_600_000 }],
    step: (input: ConsensusInput) => outputs(input.nowMs),
    progress: { round: 1, safetyHeld: false },
    safetyRecovered: undefined,
  } as unknown as ConsensusCore;
}

/** Runs one step of a driver whose core broadcasts `message`; returns what reached the relay and the transport, in order. */
async function eventsOfBroadcast(message: ConsensusMessage): Promise<string[]> {
  const events: string[] = [];
  const driver = new ConsensusDriver({
    core: coreBroadcasting(message),
    consensusStore: { handOverProofs: async () => new Map() },
    store: {},
    application: {},
    transport: { sendBytes: () => true, broadcastBytes: () => void events.push(`broadcast ${message.kind}`) },
    logger: silentLogger(),
    metrics: createMetrics(),
    beforeProposal: () => void events.push('relay flushed'),
  } as unknown as DriverOptions);
  await driver.start();
  driver.transactionsReady();
  const deadline = Date.now() + 10_000;
  while (events.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  await driver.stop();
  return events;
}

describe('the driver and the relay batch', () => {
  const messages = broadcastMessages();

  it('sends the relay batch before it broadcasts a proposal', async () => {
    const proposal = messages.find((message) => message.kind === 'proposal')!;
    expect(await eventsOfBroadcast(proposal)).toEqual(['relay flushed', 'broadcast proposal']);
  });

  it('leaves the relay batch to its own delay for any other broadcast', async () => {
    const other = messages.find((message) => message.kind !== 'proposal');
    expect(other).toBeDefined();
    expect(await eventsOfBroadcast(other!)).toEqual([`broadcast ${other!.kind}`]);
  });
});
