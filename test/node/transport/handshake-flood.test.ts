/**
 * Floods of unauthenticated sockets on the peer port (issue 10, docs/security.md "Peer port"):
 * 24 WebSocket connections that never send a hello, reopened as they close, once kept a
 * restarting validator from every peer for as long as they lasted. Handshakes in progress are now
 * counted per address, with slots reserved for the addresses the configured peers dial from.
 * The flood comes from 127.0.0.2, the validators from 127.0.0.1 (both loopback).
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_TRANSPORT_LIMITS } from '../../../node/transport/limits.js';
import { PEER_ENDPOINT_PATH } from '../../../node/transport/index.js';
import { TestChain } from '../../support/test-chain.js';
import { addressOf, createNode, nodeAt, payloadsFrom, startNetwork, validatorId, waitFor, waitForMesh } from './fixtures/network.js';
import { connectRaw, receiveChallenge } from './fixtures/raw-peer.js';

const chain = new TestChain();
const FLOOD_ADDRESS = '127.0.0.2';

/** `count` sockets from `localAddress` that never say hello; each is reopened as soon as it closes. */
function flood(port: number, localAddress: string, count: number) {
  let stopped = false;
  let opened = 0;
  const sockets = new Set<WebSocket>();
  const open = () => {
    if (stopped) return;
    const socket = new WebSocket(`ws://127.0.0.1:${port}${PEER_ENDPOINT_PATH}`, { localAddress, perMessageDeflate: false });
    sockets.add(socket);
    socket.on('open', () => opened++);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      setTimeout(open, 5);
    });
  };
  for (let index = 0; index < count; index++) open();
  return {
    opened: () => opened,
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.terminate();
    },
  };
}

describe('a flood of sockets that never finish the handshake', () => {
  it('from another address does not keep a restarting validator from its peers', async () => {
    // The production handshake timeout: a flood socket holds its slot that long.
    const limits = { handshakeTimeoutMs: DEFAULT_TRANSPORT_LIMITS.handshakeTimeoutMs, reconnectMaxMs: 1_000 };
    const nodes = await startNetwork(chain, [0, 1, 2, 3], () => ({ limits }));
    await waitForMesh(nodes);
    // validator-3 sorts last: every other validator dials it, so it only accepts.
    const victim = nodeAt(nodes, 3);
    const port = victim.transport.port;
    const attack = flood(port, FLOOD_ADDRESS, 24);
    try {
      await waitFor(() => attack.opened() >= 24, 'the flood to hold its sockets');
      await victim.transport.stop();
      const peers = [0, 1, 2, 3].map((index) => ({ id: validatorId(index), address: index === 3 ? `127.0.0.1:${port}` : addressOf(nodeAt(nodes, index).transport) }));
      const restarted = createNode(chain, 3, { listen: { host: '127.0.0.1', port }, peers, limits });
      await restarted.transport.start();
      // The flood reconnects at once and keeps every unreserved slot it can get...
      await waitFor(() => restarted.transport.stats().handshakeFailures['too-many-pending'] > 0, 'the flood to hit its limit', 10_000);
      // ...but the peers, dialing from 127.0.0.1, have slots of their own.
      await waitFor(() => restarted.transport.connectedPeers().length === 3, 'the restarted validator to reconnect to its three peers', 15_000);
      // The dialers' side opens when the welcome arrives, a moment after the acceptor's.
      await waitFor(() => [0, 1, 2].every((index) => nodeAt(nodes, index).transport.connectedPeers().includes(validatorId(3))), 'the peers to see their connections open');
      for (const index of [0, 1, 2]) expect(nodeAt(nodes, index).transport.send(validatorId(3), 'consensus', { vote: index })).toBe(true);
      await waitFor(() => [0, 1, 2].every((index) => payloadsFrom(restarted, validatorId(index)).length > 0), 'frames from every peer');
      expect(restarted.transport.connectedPeers()).toEqual(['validator-0', 'validator-1', 'validator-2']);
    } finally {
      attack.stop();
    }
  });

  it('from one address holds at most pendingHandshakesPerAddressMax of the shared slots, leaving the rest to other addresses', async () => {
    const acceptor = createNode(chain, 1);
    await acceptor.transport.start();
    const attack = flood(acceptor.transport.port, FLOOD_ADDRESS, 24);
    try {
      await waitFor(() => acceptor.transport.stats().handshakeFailures['too-many-pending'] >= 20, 'the flood to be held to its share');
      // Someone from another address still gets a challenge.
      const other = await connectRaw(acceptor.transport.port);
      expect((await receiveChallenge(other)).validator).toBe('validator-1');
      other.socket.terminate();
    } finally {
      attack.stop();
    }
    expect(DEFAULT_TRANSPORT_LIMITS.pendingHandshakesPerAddressMax).toBeLessThan(DEFAULT_TRANSPORT_LIMITS.pendingHandshakesMax);
  });
});
