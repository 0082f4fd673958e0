/**
 * `custodia repair` with real processes (issue 13; docs/operations.md, "Damage and repair"): on a
 * network of four, it refuses while the validator runs, leaves a healthy ledger alone, and
 * rebuilds a damaged one from the peers: the damaged folder is kept, the rebuilt chain has the
 * peers' blocks and passes `custodia verify`, the safety state never moved back, and the
 * validator then starts and signs. With no peer up, it gives up and says where the old ledger is.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SafetyState } from '../../consensus/types.js';
import { ConsensusStore } from '../../node/consensus-store.js';
import { LocalNetwork } from '../node/support/local-network.js';
import { runCli } from '../support/run-cli.js';
import { damageStore } from '../../tools/chaos/damage.js';

const REPAIRED = 2;
const CLI_RUN_MS = 120_000;
const REBUILD_RUN_MS = 300_000;
let network: LocalNetwork;
LocalNetwork.forEachFile((created) => (network = created));

const dataDir = () => join(dirname(network.layout.configFiles[REPAIRED]!), 'data');
const damagedFolders = async () => (await readdir(dataDir())).filter((name) => name.startsWith('ledger.damaged-'));

async function safetyRecord(): Promise<SafetyState> {
  const store = await ConsensusStore.open(join(dataDir(), 'consensus'));
  try {
    const { safety } = await store.load();
    if (safety === undefined) throw new Error('no safety record');
    return safety;
  } finally {
    await store.close();
  }
}

async function blockHash(index: number, height: number): Promise<string> {
  return ((await (await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${height}`)).json()) as { hash: string }).hash;
}

describe('custodia repair', () => {
  it('refuses while the validator runs, leaves a healthy ledger alone, and rebuilds a damaged one from its peers', { timeout: 600_000 }, async () => {
    expect(await network.submitAndWait(0, 6)).toEqual(Array(6).fill('committed'));
    const committedHeight = await network.height(0);
    await network.waitUntil(async () => (await network.height(REPAIRED)) >= committedHeight, 60_000, 'validator-2 executing what validator-0 committed');
    const config = network.layout.configFiles[REPAIRED]!;

    const whileRunning = await runCli(['repair', '--config', config], { timeoutMs: CLI_RUN_MS });
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toContain('the validator is running');
    expect(await damagedFolders()).toEqual([]);

    expect(await network.stop(REPAIRED)).toBe(0);
    const healthy = await runCli(['repair', '--config', config, '--json'], { timeoutMs: CLI_RUN_MS });
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ repaired: false, healthy: true });
    expect(await damagedFolders()).toEqual([]);

    const safetyBefore = await safetyRecord();
    // A block halfway up changed on disk, as a failing disk might return it: bytes flipped at random
    // in a table could land in an index no chain check reads (a short chain's table is mostly
    // indices), and repair would rightly call the ledger healthy. Raw table damage: verify-damage.test.ts.
    expect(await damageStore(join(dataDir(), 'ledger'))).toBeGreaterThan(0);
    const heightBefore = committedHeight;

    const repair = await runCli(['repair', '--config', config, '--json', '--timeout-ms', String(REBUILD_RUN_MS - 60_000)], { timeoutMs: REBUILD_RUN_MS });
    expect(repair.code, repair.stderr).toBe(0);
    const result = JSON.parse(repair.stdout) as { repaired: boolean; damage: string | null; movedTo: string; height: number; headHash: string; verified: boolean };
    expect(result).toMatchObject({ repaired: true, verified: true });
    expect(result.damage).toMatch(/at height \d+/);
    expect(result.height).toBeGreaterThanOrEqual(heightBefore);
    expect(await damagedFolders()).toEqual([result.movedTo.slice(dataDir().length + 1)]);

    // The safety state is kept: the rebuilding validator may have signed on, never below what it had.
    const safetyAfter = await safetyRecord();
    expect(safetyAfter.epoch).toBe(safetyBefore.epoch);
    expect(safetyAfter.lastVotedRound).toBeGreaterThanOrEqual(safetyBefore.lastVotedRound);
    expect(safetyAfter.lockedRound).toBeGreaterThanOrEqual(safetyBefore.lockedRound);
    expect(safetyAfter.highestTimeoutRound).toBeGreaterThanOrEqual(safetyBefore.highestTimeoutRound);

    const verified = await runCli(['verify', '--data', dataDir(), '--genesis', network.layout.genesisFile, '--json'], { timeoutMs: CLI_RUN_MS });
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, height: result.height, headHash: result.headHash });
    expect(result.headHash).toBe(await blockHash(0, result.height));

    network.start(REPAIRED);
    await network.waitUntil(() => network.ready(REPAIRED), 120_000, 'validator-2 ready after the repair');
    for (const height of [1, heightBefore]) expect(await blockHash(REPAIRED, height)).toBe(await blockHash(0, height));
    // It signs again: with validator-3 stopped, no quorum forms without validator-2.
    expect(await network.stop(3)).toBe(0);
    expect(await network.submitAndWait(0, 2)).toEqual(Array(2).fill('committed'));

    // With no peer up, it gives up, restores nothing and says where the old ledger is.
    for (const index of [0, 1, REPAIRED]) expect(await network.stop(index)).toBe(0);
    const alone = await runCli(['repair', '--config', config, '--force', '--json', '--timeout-ms', '2000'], { timeoutMs: CLI_RUN_MS });
    expect(alone.code).toBe(1);
    const failed = JSON.parse(alone.stdout) as { repaired: boolean; movedTo: string; message: string };
    expect(failed.repaired).toBe(false);
    expect(failed.message).toContain('no peer was reachable');
    expect(failed.message).toContain(`The old ledger is at ${failed.movedTo} (not restored)`);
    expect(await damagedFolders()).toHaveLength(2);
  });
});
