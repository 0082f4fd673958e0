/**
 * A validator whose consensus store and its safety record's copy are gone while its ledger
 * survives (issue 13; docs/consensus.md section 3, "A lost safety record"), with real processes: it says so in its log, is not ready
 * and signs nothing until a quorum of peers has shown it the network's round, then votes again
 * and the network keeps committing on every validator.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAFETY_RECORD_COPY_FILE } from '../../node/safety-record-copy.js';
import { LocalNetwork } from './support/local-network.js';

let network: LocalNetwork;
LocalNetwork.forEachFile((created) => (network = created));

describe('a validator restarted without its consensus store and safety-record copy', () => {
  it('holds its signatures until a quorum shows the round, then votes again and nothing forks', async () => {
    expect(await network.submitAndWait(0, 6)).toEqual(Array(6).fill('committed'));
    await network.waitUntil(async () => (await network.height(1)) >= 2, 60_000, 'validator-1 executing blocks');

    expect(await network.stop(1)).toBe(0);
    const dataDir = join(dirname(network.layout.configFiles[1]!), 'data');
    await rm(join(dataDir, 'consensus'), { recursive: true, force: true });
    await rm(join(dataDir, SAFETY_RECORD_COPY_FILE), { force: true });
    network.start(1);

    const log = join(network.directory, 'validator-1.log');
    await network.waitUntil(async () => (await readFile(log, 'utf8')).includes('signing nothing until a quorum of peers shows the network round'), 60_000, 'the warning about the lost record');
    // Load keeps the others' rounds moving while it recovers.
    expect(await network.submitAndWait(2, 4)).toEqual(Array(4).fill('committed'));
    await network.waitUntil(async () => (await readFile(log, 'utf8')).includes('lost safety record recovered'), 90_000, 'the recovery');
    await network.waitUntil(() => network.ready(1), 90_000, 'validator-1 ready again');
    expect(await network.metric(1, 'custodia_safety_recovery_holding')).toBe(0);
    expect(await network.metric(1, 'custodia_safety_recovery_floor_round')).toBeGreaterThan(0);

    // Its floor is above every round it could have signed in, and an idle chain moves its rounds
    // only with work: load takes the network past the floor, and then it votes again. (Stopping
    // a validator before that would leave two signers for rounds at or below its floor: the
    // documented stall, docs/consensus.md section 3, until the stopped one returns.)
    await network.waitUntil(
      async () => {
        await network.submitAndWait(0, 1);
        return (await network.metric(1, 'custodia_votes_sent_total')) > 0;
      },
      180_000,
      'validator-1 voting again',
    );

    // With validator-3 stopped, no quorum forms without validator-1's votes.
    expect(await network.stop(3)).toBe(0);
    const votesBefore = await network.metric(1, 'custodia_votes_sent_total');
    expect(await network.submitAndWait(0, 3)).toEqual(Array(3).fill('committed'));
    expect(await network.metric(1, 'custodia_votes_sent_total')).toBeGreaterThan(votesBefore);
    network.start(3);
    await network.waitUntil(() => network.ready(3), 90_000, 'validator-3 ready again');

    const heads = await network.heads([0, 1, 2]);
    const common = Math.min(...heads.map((head) => head.height));
    const hashes = await Promise.all([0, 1, 2].map(async (index) => ((await (await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${common}`)).json()) as { hash: string }).hash));
    expect(new Set(hashes).size).toBe(1);
  }, 400_000);
});
