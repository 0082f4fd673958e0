/**
 * The attacks of issue 10 against real validator processes on 127.0.0.1 (docs/security.md): the
 * overflowing quantities that once halted every validator, strangers' blobs, a stop with clients
 * waiting for commits, and a flood of handshakes on the peer port of a validator that restarts.
 * Each was a way for one participant or one outsider to halt, bloat or corrupt the network; each
 * must leave it committing. The tests share one 4-validator network and run in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CustodiaApiError } from '../../api/client.js';
import { createEventBuilders } from '../../api/epcis-builders.js';
import { signTransaction, transactionId } from '../../ledger/model/transaction.js';
import { INVENTORY_LIMITS } from '../../contracts/rules/inventory.js';
import { PEER_ENDPOINT_PATH } from '../../node/transport/index.js';
import { portsOf } from '../../node/testnet.js';
import type { TransactionStatus } from '../../node/transactions.js';
import { keyFor } from '../support/test-chain.js';
import { CHAIN_ID, LocalNetwork } from './support/local-network.js';

let network: LocalNetwork;
/** How long a graceful stop may take here, far below the 60 s the waiting clients asked for. */
const STOP_BOUND_MS = 30_000;
let serial = 0;
const events = createEventBuilders(() => new Date(Date.UTC(2026, 5, 1) + ++serial * 1000).toISOString());

beforeAll(async () => {
  network = await LocalNetwork.create(4);
}, 90_000);

afterAll(async () => {
  await network?.close();
});


/** A new lot commissioned by the farm commits on every validator, and all are alive. */
async function expectNetworkCommits(indices = network.indices()): Promise<void> {
  const client = network.client(indices[0]!);
  const status = await client.submit(network.commissioningTransaction(client), { wait: true, timeoutMs: 30_000 });
  expect(status.status).toBe('committed');
  for (const index of indices) {
    expect(network.processes[index]?.exitCode, `validator-${index} exited`).toBeNull();
    expect((await network.client(index).status(status.id, { wait: true, timeoutMs: 30_000 })).status).toBe('committed');
  }
}

describe('attacks on a 4-validator network of real processes', () => {
  it('survives a lot of Number.MAX_VALUE and hand-overs whose sum would overflow: refused with a reason, and the network keeps committing', async () => {
    const client = network.client(0);
    const farm = await network.signer('farm');
    const processor = await network.signer('processor');
    const lot = 'urn:epc:class:lgtin:0614141.0012345.OVERFLOW';
    const submit = (payload: Parameters<typeof client.transaction>[1], by: typeof farm[]) => client.submit(client.transaction('epcis.capture', payload, by), { wait: true, timeoutMs: 30_000 });

    const huge = await submit(events.capture(events.commissionLot(`${lot}-HUGE`, Number.MAX_VALUE)), [farm]);
    expect(huge).toMatchObject({ status: 'rejected', result: { code: 'quantity-out-of-range' } });
    expect((await submit(events.capture(events.commissionLot(lot, INVENTORY_LIMITS.quantityMax)), [farm])).status).toBe('committed');
    const handOver = (quantity: number) => submit(events.capture(events.shipping({ lots: [[lot, quantity]] }, processor.participant)), [farm, processor]);
    // Three hand-overs whose sum overflows a double: each is refused or within bounds, none throws.
    const results = await Promise.all([handOver(Number.MAX_VALUE), handOver(Number.MAX_VALUE), handOver(Number.MAX_VALUE)]);
    expect(results.map((status) => status.status === 'rejected' && status.result.status === 'rejected' && status.result.code)).toEqual(['quantity-out-of-range', 'quantity-out-of-range', 'quantity-out-of-range']);
    await expectNetworkCommits();
  }, 120_000);

  it('refuses strangers\' blobs at every validator: nothing is stored, relayed or proposed', async () => {
    const stranger = 'urn:epc:id:pgln:0999999.00001';
    const key = { participant: stranger, ...keyFor(stranger) };
    const ids: string[] = [];
    const refusals = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const blob = signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [stranger], nonce: `blob-${index}`, payload: { blob: 'x'.repeat(250_000) } }, [key]);
        ids.push(transactionId(blob.body));
        return network.client(index % 4).submit(blob).then(
          () => 'accepted',
          (error: unknown) => (error instanceof CustodiaApiError ? `${error.error.status} ${error.error.code}` : String(error)),
        );
      }),
    );
    expect(new Set(refusals)).toEqual(new Set(['403 unknown-participant']));
    await expectNetworkCommits();
    for (const index of network.indices()) {
      for (const id of ids.slice(0, 5)) {
        const status = await network.client(index).status(id).then(
          (found) => found.status,
          (error: unknown) => (error instanceof CustodiaApiError ? error.error.status : error),
        );
        expect(status, `validator-${index}, ${id}`).toBe(404);
      }
      expect(await network.metric(index, 'custodia_mempool_bytes')).toBeLessThan(250_000);
    }
  }, 120_000);

  it('stops gracefully with clients waiting for commits: they are answered, the process exits 0 at once, and the waiting transactions commit later', async () => {
    // Without a quorum nothing commits, so the clients of validator-0 keep waiting.
    expect(await network.stop(1)).toBe(0);
    expect(await network.stop(2)).toBe(0);
    const client = network.client(0);
    const transactions = Array.from({ length: 3 }, () => network.commissioningTransaction(client));
    const waits = transactions.map((transaction) =>
      fetch(`${network.layout.apiUrls[0]}/v1/transactions?wait=commit&timeoutMs=60000`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(transaction) }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as TransactionStatus,
      })),
    );
    // Every wait is in place (each is pending in the mempool) before the stop.
    await network.waitUntil(async () => (await Promise.all(transactions.map((transaction) => client.status(client.idOf(transaction))))).every((status) => status.status === 'pending'), 30_000, 'pending transactions');
    // The waits would hold for 60 s: a validator that lingers until their timers fire fails the bound.
    const exitCode = await Promise.race([
      network.stop(0),
      new Promise<string>((resolve) => setTimeout(() => resolve(`still running ${STOP_BOUND_MS} ms after SIGTERM`), STOP_BOUND_MS).unref()),
    ]);
    expect(exitCode).toBe(0);
    const answers = await Promise.all(waits);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    expect(answers.map((answer) => answer.body.status)).toEqual(['pending', 'pending', 'pending']);

    for (const index of [0, 1, 2]) network.start(index);
    await network.waitUntil(async () => (await Promise.all(network.indices().map((index) => network.ready(index)))).every(Boolean), 60_000, 'all ready again');
    // validator-3 kept the relayed copies in its mempool: they commit everywhere.
    for (const transaction of transactions) {
      const id = client.idOf(transaction);
      expect((await network.client(3).status(id, { wait: true, timeoutMs: 60_000 })).status).toBe('committed');
    }
  }, 180_000);

  it('lets a validator that restarts under a flood of handshakes from another address reconnect to its peers and vote', async () => {
    // validator-3 sorts last: its peers dial it, so it only accepts, and the flood competes with them for its handshakes.
    const port = portsOf(network.basePort, 3).p2p;
    let flooding = true;
    let opened = 0;
    const sockets = new Set<WebSocket>();
    const open = () => {
      if (!flooding) return;
      const socket = new WebSocket(`ws://127.0.0.1:${port}${PEER_ENDPOINT_PATH}`, { localAddress: '127.0.0.2', perMessageDeflate: false });
      sockets.add(socket);
      socket.on('open', () => opened++);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        setTimeout(open, 5);
      });
    };
    try {
      for (let index = 0; index < 24; index++) open();
      await network.waitUntil(async () => opened >= 24, 30_000, 'the flood to hold its sockets');
      expect(await network.stop(3)).toBe(0);
      network.start(3);
      await network.waitUntil(() => network.ready(3), 60_000, 'validator-3 ready after its restart, under the flood');
      const connectedPeers = async () => ((await (await fetch(`http://127.0.0.1:${portsOf(network.basePort, 3).metrics}/readyz`)).json()) as { connectedPeers: number }).connectedPeers;
      await network.waitUntil(async () => (await connectedPeers()) === 3, 60_000, 'validator-3 connected to all three peers');
      await network.waitUntil(async () => (await network.metric(3, 'custodia_votes_sent_total')) > 3, 60_000, 'validator-3 voting');
    } finally {
      flooding = false;
      for (const socket of sockets) socket.terminate();
    }
    await expectNetworkCommits([3, 0, 1, 2]);
  }, 150_000);
});
