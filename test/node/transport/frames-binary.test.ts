/**
 * Binary channels over real sockets (node/transport/transport.ts, frames.ts; docs/encoding.md
 * section 13): bytes sent to one peer or broadcast arrive exactly, beside text channels; a peer
 * sending the wrong kind of frame, or a malformed binary header, is refused and counted like any
 * malformed frame (and banned past the threshold), whether it is an attacker or a validator that
 * still speaks text on the consensus channel; and a node never sends a frame its peer would refuse.
 */
import { describe, expect, it } from 'vitest';
import { encodeBinaryFrame, encodeFrame } from '../../../node/transport/frames.js';
import { TestChain } from '../../support/test-chain.js';
import { createNode, nodeAt, startNetwork, validatorId, waitFor, waitForMesh } from './fixtures/network.js';
import { connectRaw, handshakeAs } from './fixtures/raw-peer.js';

const chain = new TestChain();
const binary = { binaryChannels: ['consensus'] };

describe('binary channels', () => {
  it('deliver bytes sent to one peer and broadcast to all, in order, beside text channels', async () => {
    const nodes = await startNetwork(chain, [0, 1, 2], () => binary);
    await waitForMesh(nodes);
    const sender = nodeAt(nodes, 0).transport;
    const pieces = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(70_000).fill(0xab)];
    expect(sender.sendBytes('validator-1', 'consensus', new Uint8Array([0, 0xff]))).toBe(true);
    expect(sender.broadcastBytes('consensus', pieces)).toBe(2);
    expect(sender.broadcast('mempool', { still: 'text' })).toBe(2);
    await waitFor(() => nodeAt(nodes, 1).receivedBytes.length === 2 && nodeAt(nodes, 2).receivedBytes.length === 1 && nodeAt(nodes, 2).received.length === 1, 'every frame');
    const expected = Buffer.concat(pieces);
    expect(nodeAt(nodes, 1).receivedBytes.map(({ from, channel, bytes }) => [from, channel, Buffer.from(bytes).toString('hex')])).toEqual([
      ['validator-0', 'consensus', '00ff'],
      ['validator-0', 'consensus', expected.toString('hex')],
    ]);
    expect(Buffer.from(nodeAt(nodes, 2).receivedBytes[0]!.bytes).equals(expected)).toBe(true);
    expect(nodeAt(nodes, 2).received).toEqual([{ from: 'validator-0', channel: 'mempool', payload: { still: 'text' } }]);
    expect(sender.stats().framesOut).toBe(5);
  });

  it('refuse a frame of the wrong kind or a malformed header, count it, deliver the rest, and ban past the threshold', async () => {
    const nodes = await startNetwork(chain, [1], () => ({ ...binary, limits: { malformedFramesBeforeBan: 5 } }));
    const node = nodeAt(nodes, 1);
    const peer = await connectRaw(node.transport.port);
    await handshakeAs(peer, { chainId: chain.chainId, id: 'validator-0', seed: chain.validatorKeys[0]!.seed, acceptor: 'validator-1' });
    await waitFor(() => node.transport.connectedPeers().includes('validator-0'), 'the peer to be admitted');
    peer.socket.send(encodeFrame('consensus', { kind: 'vote' }).toString('utf8'));
    peer.socket.send(encodeBinaryFrame('mempool', new Uint8Array([1])));
    peer.socket.send(Buffer.from([2, 9, ...Buffer.from('consensus'), 1]));
    peer.socket.send(encodeBinaryFrame('consensus', new Uint8Array([42])));
    peer.socket.send(encodeFrame('mempool', 'text is fine here').toString('utf8'));
    await waitFor(() => node.receivedBytes.length === 1 && node.received.length === 1, 'the two valid frames');
    expect([...node.receivedBytes[0]!.bytes]).toEqual([42]);
    expect(node.received[0]!.payload).toBe('text is fine here');
    const stats = node.transport.stats();
    expect([stats.malformed['wrong-kind'], stats.malformed['bad-header'], stats.bans]).toEqual([2, 1, 0]);
    for (let count = 0; count < 2; count++) peer.socket.send(encodeFrame('consensus', count).toString('utf8'));
    expect(await peer.closed).toEqual({ code: 1008, reason: 'banned: sent 5 malformed frames' });
    expect(node.receivedBytes).toHaveLength(1);
  });

  it('are refused consistently between a node that speaks text on the channel and one that speaks binary', async () => {
    // validator-0 serves no binary channel (the protocol before binary frames); validator-1 does.
    const nodes = await startNetwork(chain, [0, 1], (index) => ({ ...(index === 1 ? binary : {}), limits: { malformedFramesBeforeBan: 3 } }));
    await waitForMesh(nodes);
    const old = nodeAt(nodes, 0);
    const current = nodeAt(nodes, 1);
    for (let count = 0; count < 3; count++) expect(old.transport.send(validatorId(1), 'consensus', { count })).toBe(true);
    await waitFor(() => current.transport.stats().bans === 1, 'the binary node to ban the text one');
    expect(current.transport.stats().malformed['wrong-kind']).toBe(3);
    expect([current.received, current.receivedBytes]).toEqual([[], []]);

    const again = await startNetwork(chain, [2, 3], (index) => ({ ...(index === 3 ? binary : {}), limits: { malformedFramesBeforeBan: 3 } }));
    await waitForMesh(again);
    for (let count = 0; count < 3; count++) expect(nodeAt(again, 3).transport.sendBytes(validatorId(2), 'consensus', new Uint8Array([count]))).toBe(true);
    await waitFor(() => nodeAt(again, 2).transport.stats().bans === 1, 'the text node to ban the binary one');
    expect(nodeAt(again, 2).transport.stats().malformed.binary).toBe(3);
    expect(nodeAt(again, 2).received).toEqual([]);
  });

  it('never send what a peer would refuse: the wrong kind is a bug, an oversized body is refused before it is copied', async () => {
    const nodes = await startNetwork(chain, [0, 1], () => ({ ...binary, limits: { frameBytesMax: 64 * 1024 }, channels: { consensus: { frameBytesMax: 32 * 1024 }, mempool: { frameBytesMax: 1024 } } }));
    await waitForMesh(nodes);
    const sender = nodeAt(nodes, 0).transport;
    expect(() => sender.send('validator-1', 'consensus', 1)).toThrow(/binary frames/);
    expect(() => sender.broadcast('consensus', 1)).toThrow(/binary frames/);
    expect(() => sender.sendBytes('validator-1', 'mempool', new Uint8Array(1))).toThrow(/text frames/);
    expect(sender.sendBytes('validator-1', 'consensus', [new Uint8Array(16 * 1024), new Uint8Array(16 * 1024)])).toBe(false);
    expect(sender.broadcastBytes('consensus', new Uint8Array(32 * 1024))).toBe(0);
    expect(sender.sendBytes('validator-1', 'consensus', new Uint8Array(32 * 1024 - 11))).toBe(true);
    expect(sender.sendBytes('validator-3', 'consensus', new Uint8Array(1))).toBe(false);
    expect(sender.stats().sendRefused).toEqual({ 'not-connected': 1, 'too-large': 2 });
    await waitFor(() => nodeAt(nodes, 1).receivedBytes.length === 1, 'the frame at the limit');
    expect(nodeAt(nodes, 1).receivedBytes[0]!.bytes.byteLength).toBe(32 * 1024 - 11);
  });

  it('must be listed among the channels when channels are listed', () => {
    expect(() => createNode(chain, 0, { binaryChannels: ['consensus'], channels: { mempool: { frameBytesMax: 1024 } } })).toThrow(/not among the channels/);
    expect(() => createNode(chain, 0, { binaryChannels: ['Consensus'] })).toThrow(/invalid binary channel name/);
  });
});
