import { describe, expect, it } from 'vitest';
import { seededRandom, TransportFaults } from '../../../node/transport/index.js';
import { TestChain } from '../../support/test-chain.js';
import { nodeAt, payloadsFrom, startNetwork, waitFor, waitForMesh, type TestNode } from './fixtures/network.js';

const chain = new TestChain();

/**
 * Frames on one link arrive in order, so once a marker sent last has arrived, anything sent
 * before it that is missing was dropped, not merely late.
 */
async function sendMarker(from: TestNode, fromId: string, to: TestNode, toId: string, marker: string): Promise<void> {
  expect(from.transport.send(toId, 'consensus', marker)).toBe(true);
  await waitFor(() => payloadsFrom(to, fromId).includes(marker), `${marker} from ${fromId} to ${toId}`);
}

describe('fault hooks on live connections', () => {
  it('drop every outbound frame to a peer while told to', async () => {
    const nodes = await startNetwork(chain, [0, 1]);
    await waitForMesh(nodes);
    const [sender, receiver] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    sender.transport.faults.dropOutbound('validator-1');
    expect(sender.transport.send('validator-1', 'consensus', 'lost')).toBe(true);
    sender.transport.faults.dropOutbound('validator-1', 0);
    await sendMarker(sender, 'validator-0', receiver, 'validator-1', 'marker');
    expect(payloadsFrom(receiver, 'validator-0')).toEqual(['marker']);
    expect(sender.transport.stats().faultDrops.outbound).toBe(1);
  });

  it('drop with a probability, reproducibly under a seeded random source', async () => {
    const seed = 2026;
    const nodes = await startNetwork(chain, [0, 1], (index) => (index === 0 ? { faults: new TransportFaults(seededRandom(seed)) } : {}));
    await waitForMesh(nodes);
    const [sender, receiver] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    sender.transport.faults.dropOutbound('validator-1', 0.3);
    for (let sequence = 0; sequence < 100; sequence++) sender.transport.send('validator-1', 'consensus', sequence);
    sender.transport.faults.clear();
    await sendMarker(sender, 'validator-0', receiver, 'validator-1', 'marker');

    const replay = seededRandom(seed);
    const expected = Array.from({ length: 100 }, (_, sequence) => sequence).filter(() => replay() >= 0.3);
    expect(payloadsFrom(receiver, 'validator-0')).toEqual([...expected, 'marker']);
    expect(sender.transport.stats().faultDrops.outbound).toBe(100 - expected.length);
  });

  it('delay outbound frames to a peer, so later undelayed frames overtake them', async () => {
    const nodes = await startNetwork(chain, [0, 1]);
    await waitForMesh(nodes);
    const [sender, receiver] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    sender.transport.faults.delayOutbound('validator-1', 500);
    expect(sender.transport.send('validator-1', 'consensus', 'delayed')).toBe(true);
    sender.transport.faults.delayOutbound('validator-1', 0);
    expect(sender.transport.send('validator-1', 'consensus', 'direct')).toBe(true);
    await waitFor(() => receiver.received.length === 2, 'both frames');
    expect(payloadsFrom(receiver, 'validator-0')).toEqual(['direct', 'delayed']);
    expect(sender.transport.stats().faultDelays).toBe(1);
  });

  it('simulate a wide-area latency with jitter that delays every frame but never reorders a link, as TCP would not', async () => {
    const nodes = await startNetwork(chain, [0, 1], (index) => (index === 0 ? { faults: new TransportFaults(seededRandom(7)) } : {}));
    await waitForMesh(nodes);
    const [sender, receiver] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    sender.transport.faults.simulateLatency(5, 40);
    for (let sequence = 0; sequence < 200; sequence++) expect(sender.transport.send('validator-1', 'consensus', sequence)).toBe(true);
    await waitFor(() => receiver.received.length === 200, 'every delayed frame');
    expect(payloadsFrom(receiver, 'validator-0')).toEqual(Array.from({ length: 200 }, (_, sequence) => sequence));
    expect(sender.transport.stats().faultDelays).toBe(200);
    sender.transport.faults.simulateLatency(0, 0);
    await sendMarker(sender, 'validator-0', receiver, 'validator-1', 'undelayed');
    expect(sender.transport.stats().faultDelays).toBe(200);
  });

  it('isolate peers in both directions, and heal', async () => {
    const nodes = await startNetwork(chain, [0, 1, 2]);
    await waitForMesh(nodes);
    const [zero, one, two] = [nodeAt(nodes, 0), nodeAt(nodes, 1), nodeAt(nodes, 2)];
    zero.transport.faults.isolate(['validator-1']);
    zero.transport.broadcast('consensus', 'during the partition');
    one.transport.broadcast('consensus', 'during the partition');
    two.transport.broadcast('consensus', 'during the partition');
    await waitFor(() => two.received.length === 2, 'validator-2 to hear both sides');
    await waitFor(() => payloadsFrom(zero, 'validator-2').length === 1 && payloadsFrom(one, 'validator-2').length === 1, 'both sides to hear validator-2');
    // Heal only once validator-1's frame has reached validator-0 (and been dropped there).
    await waitFor(() => zero.transport.stats().faultDrops.inbound === 1, 'the inbound drop');
    // The links stay up: the partition is of frames, so healing is immediate.
    expect(zero.transport.connectedPeers()).toEqual(['validator-1', 'validator-2']);

    zero.transport.faults.heal();
    await sendMarker(zero, 'validator-0', one, 'validator-1', 'healed');
    await sendMarker(one, 'validator-1', zero, 'validator-0', 'healed');
    expect(payloadsFrom(one, 'validator-0')).toEqual(['healed']);
    expect(payloadsFrom(zero, 'validator-1')).toEqual(['healed']);
    expect(zero.transport.stats().faultDrops).toEqual({ outbound: 1, inbound: 1 });
  });
});
