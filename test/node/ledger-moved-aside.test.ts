/**
 * The remedy for a damaged ledger store (issue 13; docs/operations.md, "Damage and repair"), with real
 * processes: the validator is stopped, its ledger/ moved aside with consensus/ kept, and started
 * again; it fetches the chain from its peers, verifying every block and certificate, ends with
 * the same blocks as the others, and signs again with its safety state intact.
 */
import { rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalNetwork } from './support/local-network.js';

let network: LocalNetwork;
LocalNetwork.forEachFile((created) => (network = created));

async function blockHash(index: number, height: number): Promise<string> {
  return ((await (await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${height}`)).json()) as { hash: string }).hash;
}

describe('a validator whose ledger store was moved aside', () => {
  it('rebuilds it from its peers, keeping its safety state, and signs again', async () => {
    // Two rounds of submissions, so the chain holds more than one block to fetch again.
    expect(await network.submitAndWait(0, 8)).toEqual(Array(8).fill('committed'));
    expect(await network.submitAndWait(0, 4)).toEqual(Array(4).fill('committed'));
    const committedHeight = await network.height(0);
    await network.waitUntil(async () => (await network.height(2)) >= committedHeight, 60_000, 'validator-2 executing what validator-0 committed');
    const heightBefore = await network.height(2);
    expect(heightBefore).toBeGreaterThan(1);

    expect(await network.stop(2)).toBe(0);
    const dataDir = join(dirname(network.layout.configFiles[2]!), 'data');
    await rename(join(dataDir, 'ledger'), join(dataDir, 'ledger.damaged'));
    network.start(2);
    await network.waitUntil(async () => (await network.height(2)) >= heightBefore, 120_000, 'validator-2 refetching its chain');
    await network.waitUntil(() => network.ready(2), 120_000, 'validator-2 ready again');
    for (const height of [1, heightBefore]) expect(await blockHash(2, height)).toBe(await blockHash(0, height));

    // It signs again: with validator-3 stopped, no quorum forms without validator-2.
    expect(await network.stop(3)).toBe(0);
    expect(await network.submitAndWait(0, 3)).toEqual(Array(3).fill('committed'));
    network.start(3);
    await network.waitUntil(() => network.ready(3), 120_000, 'validator-3 ready again');
  }, 400_000);
});
