/**
 * Real validator processes on 127.0.0.1 (issue 5): agreement across nodes, f down and f + 1
 * down, kill -9 under load, catch-up after a long absence, and a peer sending garbage. The tests
 * share one 4-validator network and run in order.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import type { TransactionStatus } from '../../node/transactions.js';
import { portsOf } from '../../node/testnet.js';
import { LocalNetwork } from './support/local-network.js';

const run = promisify(execFile);
const binary = fileURLToPath(new URL('../../tools/bin/custodia.mjs', import.meta.url));

let network: LocalNetwork;
LocalNetwork.forEachFile((created) => (network = created));

async function blockHashAt(index: number, height: number): Promise<string> {
  const response = await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${height}`);
  if (!response.ok) throw new Error(`validator-${index} has no block ${height}`);
  return ((await response.json()) as { hash: string }).hash;
}

/** Every listed validator has every height up to the lowest head, with the same hash. */
async function expectSameChains(indices: number[]): Promise<number> {
  const heights = await Promise.all(indices.map((index) => network.height(index)));
  const common = Math.min(...heights);
  for (const height of [1, Math.ceil(common / 2), common].filter((value, position, all) => value >= 1 && all.indexOf(value) === position)) {
    const hashes = await Promise.all(indices.map((index) => blockHashAt(index, height)));
    expect(new Set(hashes).size, `block ${height}`).toBe(1);
  }
  return common;
}

async function submitAndWait(index: number, count: number): Promise<TransactionStatus[]> {
  const client = network.client(index);
  const transactions = Array.from({ length: count }, () => network.commissioningTransaction(client));
  return Promise.all(transactions.map((transaction) => client.submit(transaction, { wait: true, timeoutMs: 30_000 })));
}


describe('a 4-validator network of real processes', () => {
  it('commits events submitted to any node on every node, with identical blocks and ledger roots', async () => {
    const statuses = (await Promise.all(network.indices().map((index) => submitAndWait(index, 5)))).flat();
    expect(statuses.every((status) => status.status === 'committed')).toBe(true);
    for (const status of statuses.slice(0, 4)) {
      const seen = await Promise.all(network.indices().map((index) => network.client(index).status(status.id, { wait: true, timeoutMs: 10_000 })));
      expect(new Set(seen.map((entry) => (entry.status === 'committed' ? `${entry.height}/${entry.blockHash}` : entry.status))).size).toBe(1);
    }
    const common = await expectSameChains(network.indices());
    expect(common).toBeGreaterThan(0);

    const monitoring = `http://127.0.0.1:${portsOf(network.basePort, 1).metrics}`;
    expect(await (await fetch(`${monitoring}/healthz`)).json()).toEqual({ status: 'alive' });
    expect(await (await fetch(`${monitoring}/readyz`)).json()).toMatchObject({ ready: true, quorumConnected: true, connectedPeers: 3 });
    expect(await network.metric(1, 'custodia_transactions_committed_total{result="accepted"}')).toBeGreaterThanOrEqual(20);
    expect(await network.metric(1, 'custodia_connected_peers')).toBe(3);
    expect(await network.metric(1, 'custodia_ledger_height')).toBeGreaterThanOrEqual(common);
  }, 120_000);

  it('drops a peer that sends garbage while the others keep committing', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${portsOf(network.basePort, 0).p2p}`);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.once('open', () => {
      for (let frame = 0; frame < 50; frame++) socket.send(frame % 2 === 0 ? '{"not": "a handshake"' : Buffer.from([0xff, 0x00, 0x13]));
    });
    await closed;
    const statuses = await submitAndWait(0, 3);
    expect(statuses.map((status) => status.status)).toEqual(['committed', 'committed', 'committed']);
  }, 60_000);

  it('keeps committing with f = 1 validator down, stops without forking with 2 down, and resumes when they return', async () => {
    await network.kill(3);
    expect((await submitAndWait(0, 3)).every((status) => status.status === 'committed')).toBe(true);

    await network.kill(2);
    const stuckAt = Math.max(...(await Promise.all([0, 1].map((index) => network.height(index)))));
    const client = network.client(1);
    const pendingTransaction = network.commissioningTransaction(client);
    const pending = await client.submit(pendingTransaction, { wait: true, timeoutMs: 4000 });
    expect(pending.status).toBe('pending');
    // One block can still commit from certificates already formed; after that, nothing.
    expect(Math.max(...(await Promise.all([0, 1].map((index) => network.height(index)))))).toBeLessThanOrEqual(stuckAt + 1);

    network.start(2);
    network.start(3);
    const committed = await client.status(pending.id, { wait: true, timeoutMs: 60_000 });
    expect(committed.status).toBe('committed');
    await network.waitUntil(async () => (await Promise.all(network.indices().map((index) => network.ready(index)))).every(Boolean), 60_000, 'all ready again');
    await expectSameChains(network.indices());
  }, 180_000);

  it('survives kill -9 of a validator under steady load: it catches up, votes again, and loses nothing acknowledged', async () => {
    const acknowledged: string[] = [];
    let loading = true;
    const load = (async () => {
      let round = 0;
      while (loading) {
        const statuses = await submitAndWait(round++ % 3, 5);
        acknowledged.push(...statuses.filter((status) => status.status === 'committed').map((status) => status.id));
      }
    })();
    await network.waitUntil(async () => acknowledged.length >= 15, 60_000, 'load before the kill');
    await network.kill(3);
    const acknowledgedAtKill = acknowledged.length;
    await network.waitUntil(async () => acknowledged.length >= acknowledgedAtKill + 15, 60_000, 'load while one validator is down');
    network.start(3);
    await network.waitUntil(() => network.ready(3), 60_000, 'validator-3 ready after restart');
    const votesAfterRestart = await network.metric(3, 'custodia_votes_sent_total');
    await network.waitUntil(async () => (await network.metric(3, 'custodia_votes_sent_total')) > votesAfterRestart + 3, 60_000, 'validator-3 voting again');
    loading = false;
    await load;

    // Acknowledgements came from validators 0, 1 and 2, each at its own height: every validator
    // must reach the highest of them before all can be asked about every acknowledged id.
    const target = Math.max(...(await Promise.all(network.indices().map((index) => network.height(index)))));
    await network.waitUntil(async () => (await Promise.all(network.indices().map((index) => network.height(index)))).every((height) => height >= target), 60_000, 'every validator caught up');
    for (const id of acknowledged) {
      const seen = await Promise.all(network.indices().map((index) => network.client(index).status(id).then((status) => status.status, (error: Error) => error.message)));
      expect(seen, id).toEqual(['committed', 'committed', 'committed', 'committed']);
    }
    await expectSameChains(network.indices());
  }, 240_000);

  it('catches up a validator that was stopped while 1,000 more events committed', async () => {
    expect(await network.stop(2)).toBe(0);
    const before = await network.height(0);
    const client = network.client(0);
    let committed = 0;
    for (let batch = 0; batch < 10; batch++) {
      const transactions = Array.from({ length: 100 }, () => network.commissioningTransaction(client));
      const statuses = await Promise.all(transactions.map((transaction) => client.submit(transaction, { wait: true, timeoutMs: 60_000 })));
      committed += statuses.filter((status) => status.status === 'committed').length;
    }
    expect(committed).toBe(1000);
    const target = await network.height(0);
    expect(target).toBeGreaterThan(before);
    network.start(2);
    await network.waitUntil(async () => (await network.height(2)) >= target, 120_000, 'validator-2 caught up');
    await expectSameChains(network.indices());
  }, 300_000);

  it('leaves every data directory passing custodia verify after a graceful stop', async () => {
    for (const index of network.indices()) expect(await network.stop(index)).toBe(0);
    const results = await Promise.all(
      network.indices().map(async (index) => {
        const { stdout } = await run(process.execPath, [binary, 'verify', '--data', join(network.layout.configFiles[index]!, '..', 'data', 'ledger'), '--genesis', network.layout.genesisFile, '--json']);
        return JSON.parse(stdout) as { ok: boolean; height: number; transactions: number; rejected: number };
      }),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    // Every transaction was submitted once and is valid: none may be committed twice (a rejected duplicate).
    for (const result of results) {
      expect(result.transactions).toBeGreaterThan(1000);
      expect(result.rejected).toBe(0);
    }
  }, 120_000);
});
