/**
 * A validator whose clock is three minutes slow (issue 13, "Clock"), with real processes: the
 * fault is injected through the config (faults.clockOffsetMs). It refuses the leaders' proposals
 * as bad-timestamp, so it cannot vote; /readyz says so (503, clock-behind, the offset it
 * measured against its peers) and /metrics exports the offset. With the clock fixed it is ready
 * again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portsOf } from '../../node/testnet.js';
import { LocalNetwork } from './support/local-network.js';

const SLOW_MS = 180_000;
const SKEWED = 3;

let network: LocalNetwork;
LocalNetwork.forEachFile((created) => (network = created));

interface Readiness {
  ready: boolean;
  quorumConnected: boolean;
  executionCaughtUp: boolean;
  recentlyCommitted: boolean;
  signing: boolean;
  clock: { ok: boolean; reason?: string; offsetMs: number | null };
}

async function readiness(index: number): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`http://127.0.0.1:${portsOf(network.basePort, index).metrics}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Readiness };
}

async function restartWithClockOffset(index: number, clockOffsetMs: number): Promise<void> {
  expect(await network.stop(index)).toBe(0);
  const file = network.layout.configFiles[index]!;
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, `${JSON.stringify({ ...config, faults: { clockOffsetMs } }, null, 2)}\n`, { mode: 0o600 });
  network.start(index);
}

describe('a validator whose clock is three minutes slow', () => {
  it('is not ready and says its clock is behind, exports the offset, and is ready again once the clock is fixed', async () => {
    await restartWithClockOffset(SKEWED, -SLOW_MS);
    let last: { status: number; body: Readiness } | undefined;
    // Connections to its peers come back one at a time after the restart, and the clock can be
    // measured behind from the first of them: wait for all of it, so that what is asserted below
    // is that the clock alone keeps it from being ready.
    await network.waitUntil(
      async () => {
        last = await readiness(SKEWED);
        if (last.body.clock.reason !== 'clock-behind' || !last.body.quorumConnected) return false;
        // An idle chain proposes at the heartbeat: the first refused proposal can come after the
        // offset is measured.
        return (await network.metric(SKEWED, 'custodia_consensus_rejections{reason="bad-timestamp"}')) > 0;
      },
      120_000,
      'validator-3 connected to a quorum, reporting its clock behind, and refusing a proposal',
    );
    expect(last!.status).toBe(503);
    expect(last!.body.ready).toBe(false);
    // Its peers' blocks are stamped about three minutes ahead of its clock.
    expect(last!.body.clock.offsetMs).toBeGreaterThan(SLOW_MS - 30_000);
    expect(last!.body.clock.offsetMs).toBeLessThan(SLOW_MS + 30_000);
    expect(last!.body.quorumConnected).toBe(true);
    expect(await network.metric(SKEWED, 'custodia_clock_offset_seconds')).toBeGreaterThan((SLOW_MS - 30_000) / 1000);
    const log = await readFile(join(network.directory, `validator-${SKEWED}.log`), 'utf8');
    expect(log).toContain('FAULT INJECTED');

    // The others are unaffected: their measured offsets stay small.
    const healthy = await readiness(0);
    expect(healthy.body.clock.ok).toBe(true);

    await restartWithClockOffset(SKEWED, 0);
    await network.waitUntil(async () => (await readiness(SKEWED)).status === 200, 120_000, 'validator-3 ready with its clock fixed');
    expect((await readiness(SKEWED)).body.clock.ok).toBe(true);
  }, 300_000);
});
