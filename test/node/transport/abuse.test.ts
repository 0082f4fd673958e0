import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerChallenge } from '../../../node/transport/handshake.js';
import { TestChain } from '../../support/test-chain.js';
import { nodeAt, payloadsFrom, startNetwork, validatorId, waitFor, waitForMesh, type TestNode } from './fixtures/network.js';
import { connectRaw, handshakeAs, receiveChallenge } from './fixtures/raw-peer.js';

const chain = new TestChain();
/** validator-0 is the attacker: it has the smallest id, so it may dial everyone. */
const attacker = { chainId: chain.chainId, id: 'validator-0', seed: chain.validatorKeys[0]!.seed };

async function attackerConnection(node: TestNode, acceptor: string) {
  const peer = await connectRaw(node.transport.port);
  await handshakeAs(peer, { ...attacker, acceptor });
  await waitFor(() => node.transport.connectedPeers().includes('validator-0'), `${acceptor} to admit the attacker`);
  return peer;
}

async function expectEveryoneHearsEveryone(nodes: Map<number, TestNode>, tag: string): Promise<void> {
  for (const [index, node] of nodes) node.transport.broadcast('consensus', { tag, from: index });
  await waitFor(
    () => [...nodes].every(([index, node]) => [...nodes.keys()].filter((other) => other !== index).every((other) => payloadsFrom(node, validatorId(other)).some((payload) => (payload as { tag?: string }).tag === tag))),
    `every honest validator to hear every other (${tag})`,
  );
}

describe('a peer sending garbage', () => {
  it('is disconnected and banned by each victim, while the other validators keep exchanging frames', async () => {
    const nodes = await startNetwork(chain, [1, 2, 3], (index) => ({
      limits: { malformedFramesBeforeBan: 3, banMs: 60_000, ...(index === 3 ? { frameBytesMax: 64 * 1024 } : {}) },
    }));
    await waitForMesh(nodes);

    // Invalid JSON to validator-1.
    const toFirst = await attackerConnection(nodeAt(nodes, 1), 'validator-1');
    for (const garbage of ['{"channel":', 'not json at all', '{"channel":"consensus","payload":1,"payload":2}']) toFirst.socket.send(garbage);
    expect(await toFirst.closed).toEqual({ code: 1008, reason: 'banned: sent 3 malformed frames' });

    // Binary frames to validator-2.
    const toSecond = await attackerConnection(nodeAt(nodes, 2), 'validator-2');
    for (let count = 0; count < 3; count++) toSecond.socket.send(randomBytes(64));
    expect((await toSecond.closed).code).toBe(1008);

    // One frame over the size limit to validator-3: ws refuses it (status 1009) and the peer is banned at once.
    const toThird = await attackerConnection(nodeAt(nodes, 3), 'validator-3');
    toThird.socket.send(JSON.stringify({ channel: 'consensus', payload: 'x'.repeat(128 * 1024) }));
    expect((await toThird.closed).code).toBe(1009);

    const first = nodeAt(nodes, 1).transport.stats();
    expect(first.malformed['invalid-json']).toBe(3);
    expect(first.bans).toBe(1);
    expect(nodeAt(nodes, 2).transport.stats().malformed.binary).toBe(3);
    expect(nodeAt(nodes, 2).transport.stats().bans).toBe(1);
    await waitFor(() => nodeAt(nodes, 3).transport.stats().bans === 1, 'validator-3 to ban');
    expect(nodeAt(nodes, 3).transport.stats().malformed['protocol-violation']).toBe(1);
    for (const node of nodes.values()) {
      expect(node.transport.isBanned('validator-0')).toBe(true);
      expect(node.transport.connectedPeers()).not.toContain('validator-0');
      expect(node.received.filter((frame) => frame.from === 'validator-0')).toEqual([]);
    }

    // During the ban even a correctly signed hello is refused.
    const again = await connectRaw(nodeAt(nodes, 1).transport.port);
    const challenge = await receiveChallenge(again);
    const answer = answerChallenge({ ...attacker, dialer: attacker, acceptor: 'validator-1', challenge, dialerNonce: new Uint8Array(randomBytes(32)) });
    if (!answer.ok) throw new Error(answer.message);
    again.socket.send(JSON.stringify(answer.hello));
    expect(await again.closed).toEqual({ code: 1008, reason: 'handshake refused: banned' });
    expect(nodeAt(nodes, 1).transport.stats().handshakeFailures.banned).toBe(1);

    await waitForMesh(nodes);
    await expectEveryoneHearsEveryone(nodes, 'after the attack');
  });

  it('has frames of unknown shape or channel dropped and counted, without losing the connection below the threshold', async () => {
    const nodes = await startNetwork(chain, [1], () => ({ channels: { consensus: { frameBytesMax: 1024 } } }));
    const node = nodeAt(nodes, 1);
    const peer = await attackerConnection(node, 'validator-1');
    peer.socket.send(JSON.stringify({ channel: 'gossip', payload: 1 }));
    peer.socket.send(JSON.stringify({ channel: 'consensus', payload: 1, extra: true }));
    peer.socket.send(JSON.stringify({ channel: 'consensus', payload: 'x'.repeat(2048) }));
    peer.socket.send(JSON.stringify({ channel: 'consensus', payload: 'still welcome' }));
    await waitFor(() => node.received.length === 1, 'the valid frame');
    expect(payloadsFrom(node, 'validator-0')).toEqual(['still welcome']);
    const stats = node.transport.stats();
    expect([stats.malformed['unknown-channel'], stats.malformed['bad-shape'], stats.malformed['too-large']]).toEqual([1, 1, 1]);
    expect(stats.bans).toBe(0);
    expect(node.transport.connectedPeers()).toEqual(['validator-0']);
  });
});

describe('keepalive', () => {
  it('drops a peer that stops answering pings', async () => {
    const nodes = await startNetwork(chain, [1], () => ({ limits: { pingIntervalMs: 100 } }));
    const node = nodeAt(nodes, 1);
    const peer = await connectRaw(node.transport.port, { autoPong: false });
    await handshakeAs(peer, { ...attacker, acceptor: 'validator-1' });
    expect((await peer.closed).code).toBe(1006);
    await waitFor(() => node.transport.connectedPeers().length === 0, 'the transport to drop the silent peer');
    expect(node.transport.stats().bans).toBe(0);
  });
});

describe('rate limits', () => {
  it('drop and count frames beyond the rate, then disconnect and ban a peer that keeps exceeding it', async () => {
    const nodes = await startNetwork(chain, [0, 1], (index) =>
      index === 1 ? { limits: { messagesPerSecondPerPeer: 1, messagesBurstPerPeer: 5, rateLimitedFramesBeforeBan: 20, banMs: 60_000 } } : {},
    );
    await waitForMesh(nodes);
    const flooder = nodeAt(nodes, 0).transport;
    const victim = nodeAt(nodes, 1);
    for (let sequence = 0; sequence < 100; sequence++) flooder.send('validator-1', 'consensus', { sequence });

    await waitFor(() => victim.transport.stats().bans === 1, 'the ban');
    const stats = victim.transport.stats();
    expect(stats.rateLimited).toBeGreaterThanOrEqual(20);
    // The burst passed in order; what followed was dropped until the ban.
    expect(victim.received.length).toBeGreaterThanOrEqual(5);
    expect(victim.received.length).toBeLessThan(100);
    expect(payloadsFrom(victim, 'validator-0').slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((sequence) => ({ sequence })));
    await waitFor(() => flooder.connectedPeers().length === 0, 'the flooder to be disconnected');
    // The flooder's own redials are refused while the ban lasts.
    await waitFor(() => victim.transport.stats().handshakeFailures.banned >= 1, 'a refused redial');
    expect(victim.transport.connectedPeers()).toEqual([]);
  });
});
