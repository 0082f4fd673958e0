import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ValidatorSet } from '../../../ledger/model/validator-set.js';
import { TestChain } from '../../support/test-chain.js';
import { createNode, nodeAt, payloadsFrom, startNetwork, validatorId, waitFor, waitForMesh } from './fixtures/network.js';

const chain = new TestChain();

describe('a network of four transports', () => {
  it('forms a full mesh with exactly one connection per pair, the smaller id dialing', async () => {
    const nodes = await startNetwork(chain, [0, 1, 2, 3], (index) => (index === 0 ? { logger: pino({ level: 'silent' }) } : {}));
    await waitForMesh(nodes);
    for (const [index, node] of nodes) {
      expect(node.transport.connections()).toEqual(
        [0, 1, 2, 3].filter((other) => other !== index).map((other) => ({ peer: validatorId(other), role: index < other ? 'dialer' : 'acceptor' })),
      );
      const stats = node.transport.stats();
      // Three handshakes per node, one per peer: nobody opened a second connection or had to replace one.
      expect(stats.connectionsOpened).toBe(3);
      expect(stats.connectionsReplaced).toBe(0);
      expect(Object.values(stats.handshakeFailures).every((count) => count === 0)).toBe(true);
    }
  });

  it('delivers frames sent to one peer and broadcast to all, in order per link', async () => {
    const nodes = await startNetwork(chain, [0, 1, 2, 3]);
    await waitForMesh(nodes);
    for (const [index, node] of nodes) {
      for (const other of nodes.keys()) {
        if (other === index) continue;
        for (let sequence = 0; sequence < 3; sequence++) {
          expect(node.transport.send(validatorId(other), 'consensus', { from: index, to: other, sequence })).toBe(true);
        }
      }
      expect(node.transport.broadcast('mempool', { broadcastBy: index, text: 'grüße ✓' })).toBe(3);
    }
    await waitFor(() => [...nodes.values()].every((node) => node.received.length === 3 * 3 + 3), 'every frame to arrive');
    for (const [index, node] of nodes) {
      for (const other of nodes.keys()) {
        if (other === index) continue;
        expect(payloadsFrom(node, validatorId(other), 'consensus')).toEqual([0, 1, 2].map((sequence) => ({ from: other, to: index, sequence })));
        expect(payloadsFrom(node, validatorId(other), 'mempool')).toEqual([{ broadcastBy: other, text: 'grüße ✓' }]);
      }
      const stats = node.transport.stats();
      expect(stats.framesIn).toBe(12);
      expect(stats.framesOut).toBe(12);
    }
  });

  it('refuses to send to a peer that is not connected or a frame over the limit', async () => {
    const nodes = await startNetwork(chain, [0, 1], () => ({ limits: { frameBytesMax: 64 * 1024 }, channels: { consensus: { frameBytesMax: 64 * 1024 }, mempool: { frameBytesMax: 1024 } } }));
    await waitForMesh(nodes);
    const sender = nodeAt(nodes, 0).transport;
    expect(sender.send('validator-3', 'consensus', 1)).toBe(false);
    expect(sender.send('validator-1', 'consensus', 'x'.repeat(70 * 1024))).toBe(false);
    expect(sender.send('validator-1', 'mempool', 'x'.repeat(2 * 1024))).toBe(false);
    expect(sender.broadcast('mempool', 'x'.repeat(2 * 1024))).toBe(0);
    expect(sender.stats().sendRefused).toEqual({ 'not-connected': 1, 'too-large': 3 });
  });
});

describe('outbound queues', () => {
  it('drop the oldest frames to a peer that cannot keep up, and count them', async () => {
    // One byte of socket buffer: the first frame goes to the socket, the rest wait in a queue of two.
    const nodes = await startNetwork(chain, [0, 1], (index) => (index === 0 ? { limits: { socketBufferBytesMax: 1, outboundQueueFramesMax: 2 } } : {}));
    await waitForMesh(nodes);
    const [sender, receiver] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    for (let sequence = 0; sequence < 10; sequence++) expect(sender.transport.send('validator-1', 'consensus', sequence)).toBe(true);
    await waitFor(() => receiver.received.length === 3, 'the frames that were kept');
    expect(payloadsFrom(receiver, 'validator-0')).toEqual([0, 8, 9]);
    expect(sender.transport.stats().queueDrops).toBe(7);
  });
});

describe('reconnecting', () => {
  it('redials with backoff after a peer stops, and reconnects when it starts again', async () => {
    const nodes = await startNetwork(chain, [0, 1]);
    await waitForMesh(nodes);
    const dialer = nodeAt(nodes, 0);
    const downs: Array<[string, string]> = [];
    const ups: string[] = [];
    dialer.transport.onPeerDown((peer, reason) => downs.push([peer, reason]));
    dialer.transport.onPeerUp((peer) => ups.push(peer));
    const port = nodeAt(nodes, 1).transport.port;

    await nodeAt(nodes, 1).transport.stop();
    await waitFor(() => dialer.transport.connectedPeers().length === 0, 'the dialer to notice');
    expect(downs).toEqual([['validator-1', 'validator stopping']]);
    await waitFor(() => dialer.transport.stats().dialFailures >= 2, 'failed redials while the peer is down');

    const restarted = createNode(chain, 1, { listen: { host: '127.0.0.1', port } });
    await restarted.transport.start();
    await waitFor(() => dialer.transport.connectedPeers().includes('validator-1'), 'the reconnect');
    expect(ups).toEqual(['validator-1']);
    expect(dialer.transport.stats().reconnects).toBeGreaterThanOrEqual(2);
    expect(dialer.transport.send('validator-1', 'consensus', 'after the restart')).toBe(true);
    await waitFor(() => restarted.received.length === 1, 'a frame over the new connection');
    expect(restarted.received[0]).toEqual({ from: 'validator-0', channel: 'consensus', payload: 'after the restart' });
  });

  it('stops reconnecting once stopped', async () => {
    const nodes = await startNetwork(chain, [0, 1]);
    await waitForMesh(nodes);
    await nodeAt(nodes, 1).transport.stop();
    const dialer = nodeAt(nodes, 0).transport;
    await waitFor(() => dialer.stats().dialFailures >= 1, 'a failed redial');
    await dialer.stop();
    const reconnects = dialer.stats().reconnects;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dialer.stats().reconnects).toBe(reconnects);
    expect(dialer.connectedPeers()).toEqual([]);
  });
});

describe('governed validator set changes', () => {
  it('close the connections of a removed validator and reconnect it when it returns', async () => {
    const nodes = await startNetwork(chain, [0, 1, 2]);
    await waitForMesh(nodes);
    const without = ValidatorSet.create(chain.genesis.validators.filter((validator) => validator.id !== 'validator-2'));
    if (!without.ok) throw new Error(without.message);
    nodeAt(nodes, 0).transport.setValidators(without.set);
    nodeAt(nodes, 1).transport.setValidators(without.set);
    await waitFor(() => nodeAt(nodes, 2).transport.connectedPeers().length === 0, 'validator-2 to be cut off');
    expect(nodeAt(nodes, 0).transport.connectedPeers()).toEqual(['validator-1']);
    expect(nodeAt(nodes, 1).transport.connectedPeers()).toEqual(['validator-0']);

    nodeAt(nodes, 0).transport.setValidators(chain.validators);
    nodeAt(nodes, 1).transport.setValidators(chain.validators);
    await waitForMesh(nodes);
  });

  it('close a connection made with a key the new set no longer gives that validator', async () => {
    const nodes = await startNetwork(chain, [0, 1]);
    await waitForMesh(nodes);
    const rotated = new TestChain({ chainId: 'custodia-rotated' });
    const validators = ValidatorSet.create(
      chain.genesis.validators.map((validator, index) => (index === 1 ? rotated.genesis.validators[1]! : validator)).map((validator, index) => ({ ...validator, id: validatorId(index) })),
    );
    if (!validators.ok) throw new Error(validators.message);
    nodeAt(nodes, 0).transport.setValidators(validators.set);
    await waitFor(() => nodeAt(nodes, 0).transport.connectedPeers().length === 0, 'the connection with the old key to close');
    // validator-1 still runs with its old key, so every redial now fails the welcome check.
    await waitFor(() => nodeAt(nodes, 0).transport.stats().handshakeFailures['bad-signature'] >= 1, 'the old key to be refused');
    expect(nodeAt(nodes, 0).transport.connectedPeers()).toEqual([]);
  });
});
