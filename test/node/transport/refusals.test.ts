import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHex } from '../../../ledger/encoding/hex.js';
import { answerChallenge, checkHello, parseHello, type HandshakeFailureReason } from '../../../node/transport/handshake.js';
import type { PeerTransport } from '../../../node/transport/index.js';
import { TestChain, testKey } from '../../support/test-chain.js';
import { createNode, payloadsFrom, waitFor, type TestNode } from './fixtures/network.js';
import { connectRaw, handshakeAs, receiveChallenge, type RawPeer } from './fixtures/raw-peer.js';

const chain = new TestChain();
const otherChain = new TestChain({ chainId: 'custodia-other' });

/** validator-1 accepting; it dials nobody, so every connection it sees is one a test made. */
async function acceptor(limits: Parameters<typeof createNode>[2] = {}): Promise<TestNode> {
  const node = createNode(chain, 1, limits);
  await node.transport.start();
  return node;
}

/** Answers the challenge as `id` with `seed` on `chainId`, and waits to be closed. */
async function helloAndClose(peer: RawPeer, input: { chainId: string; id: string; seed: Uint8Array }): Promise<{ code: number; reason: string }> {
  const challenge = await receiveChallenge(peer);
  // A dishonest client answers whatever chain it likes: rewrite the challenge's chain to its own.
  const answer = answerChallenge({ ...input, dialer: { id: input.id, seed: input.seed }, acceptor: 'validator-1', challenge: { ...challenge, chainId: input.chainId }, dialerNonce: new Uint8Array(randomBytes(32)) });
  if (!answer.ok) throw new Error(answer.message);
  peer.socket.send(JSON.stringify(answer.hello));
  return peer.closed;
}

async function expectRefused(transport: PeerTransport, closed: { code: number; reason: string }, reason: HandshakeFailureReason): Promise<void> {
  expect(closed).toEqual({ code: 1008, reason: `handshake refused: ${reason}` });
  expect(transport.stats().handshakeFailures[reason]).toBe(1);
  expect(transport.connectedPeers()).toEqual([]);
}

describe('the acceptor refuses', () => {
  it('a client that never answers the challenge, once the handshake timeout passes', async () => {
    const { transport } = await acceptor({ limits: { handshakeTimeoutMs: 300 } });
    const peer = await connectRaw(transport.port);
    await receiveChallenge(peer);
    await expectRefused(transport, await peer.closed, 'timeout');
  });

  it('a TCP client that never completes its upgrade request', async () => {
    const { transport } = await acceptor({ limits: { handshakeTimeoutMs: 300 } });
    const socket = connect(transport.port, '127.0.0.1', () => socket.write('GET /custodia/v1/peers HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
    expect(socket.destroyed).toBe(true);
    expect(transport.connectedPeers()).toEqual([]);
  });

  it('a frame sent instead of the hello', async () => {
    const { transport, received } = await acceptor();
    const peer = await connectRaw(transport.port);
    await receiveChallenge(peer);
    peer.socket.send(JSON.stringify({ channel: 'consensus', payload: { kind: 'vote' } }));
    await expectRefused(transport, await peer.closed, 'malformed');
    expect(received).toEqual([]);
  });

  it('a binary message during the handshake', async () => {
    const { transport } = await acceptor();
    const peer = await connectRaw(transport.port);
    peer.socket.send(Buffer.from([1, 2, 3]));
    await expectRefused(transport, await peer.closed, 'malformed');
  });

  it('a flood of bytes before the handshake, without buffering it (the socket is destroyed)', async () => {
    const { transport } = await acceptor();
    const peer = await connectRaw(transport.port);
    peer.socket.send('x'.repeat(1024 * 1024));
    const closed = await peer.closed;
    expect(closed.code).toBe(1006);
    expect(transport.stats().handshakeFailures.malformed).toBe(1);
  });

  it('a key that is not in the validator set', async () => {
    const { transport } = await acceptor();
    const closed = await helloAndClose(await connectRaw(transport.port), { chainId: chain.chainId, id: 'outsider-0', seed: testKey('outsider').seed });
    await expectRefused(transport, closed, 'unknown-validator');
  });

  it('a validator of another chain id', async () => {
    const { transport } = await acceptor();
    const closed = await helloAndClose(await connectRaw(transport.port), { chainId: otherChain.chainId, id: 'validator-0', seed: otherChain.validatorKeys[0]!.seed });
    await expectRefused(transport, closed, 'wrong-chain');
  });

  it("a client impersonating another validator's id without its key", async () => {
    const { transport } = await acceptor();
    const closed = await helloAndClose(await connectRaw(transport.port), { chainId: chain.chainId, id: 'validator-0', seed: testKey('impostor').seed });
    await expectRefused(transport, closed, 'bad-signature');
  });

  it('a validator dialing in the wrong direction (the smaller id dials)', async () => {
    const { transport } = await acceptor();
    const closed = await helloAndClose(await connectRaw(transport.port), { chainId: chain.chainId, id: 'validator-2', seed: chain.validatorKeys[2]!.seed });
    await expectRefused(transport, closed, 'wrong-direction');
  });

  it('a genuine hello captured from an earlier connection and replayed', async () => {
    // A fake validator-1 captures the hello that the real validator-0 sends when it dials.
    const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => fake.once('listening', resolve));
    const fakeNonce = new Uint8Array(randomBytes(32));
    const captured = new Promise<string>((resolve) => {
      fake.on('connection', (socket) => {
        socket.send(JSON.stringify({ type: 'challenge', chainId: chain.chainId, validator: 'validator-1', nonce: toHex(fakeNonce) }));
        socket.once('message', (data) => {
          resolve(data.toString());
          socket.terminate();
        });
      });
    });
    const dialer = createNode(chain, 0, { peers: [{ id: 'validator-1', address: `127.0.0.1:${(fake.address() as AddressInfo).port}` }] });
    await dialer.transport.start();
    const hello = await captured;
    await dialer.transport.stop();
    fake.close();

    // The capture is genuine: it passes on the connection it was made for.
    const parsedHello = parseHello(hello);
    if (!parsedHello.ok) throw new Error(parsedHello.message);
    const original = checkHello({ chainId: chain.chainId, acceptor: { id: 'validator-1', seed: chain.validatorKeys[1]!.seed }, validators: chain.validators, acceptorNonce: fakeNonce, hello: parsedHello.message });
    expect(original.ok).toBe(true);

    const { transport } = await acceptor();
    const peer = await connectRaw(transport.port);
    await receiveChallenge(peer);
    peer.socket.send(hello);
    await expectRefused(transport, await peer.closed, 'bad-signature');
  });

  it('connections beyond the pending handshake limit', async () => {
    const { transport } = await acceptor({ limits: { pendingHandshakesMax: 2 } });
    const first = await connectRaw(transport.port);
    const second = await connectRaw(transport.port);
    await Promise.all([receiveChallenge(first), receiveChallenge(second)]);
    const third = await connectRaw(transport.port);
    expect((await third.closed).code).toBe(1006);
    expect(third.messages).toEqual([]);
    expect(transport.stats().handshakeFailures['too-many-pending']).toBe(1);
  });
});

describe('the duplicate-connection rule', () => {
  it('keeps the newer connection from a peer and closes the older one', async () => {
    const node = await acceptor();
    const downs: string[] = [];
    node.transport.onPeerDown((peer, reason) => downs.push(`${peer}: ${reason}`));
    const validator0 = { chainId: chain.chainId, id: 'validator-0', seed: chain.validatorKeys[0]!.seed, acceptor: 'validator-1' };
    const older = await connectRaw(node.transport.port);
    await handshakeAs(older, validator0);
    const newer = await connectRaw(node.transport.port);
    await handshakeAs(newer, validator0);
    expect(await older.closed).toEqual({ code: 1000, reason: 'replaced by a newer connection' });
    expect(node.transport.connectedPeers()).toEqual(['validator-0']);
    expect(node.transport.stats().connectionsReplaced).toBe(1);
    expect(downs).toEqual(['validator-0: replaced by a newer connection']);

    newer.socket.send(JSON.stringify({ channel: 'consensus', payload: 'over the newer connection' }));
    await waitFor(() => node.received.length === 1, 'the frame');
    expect(payloadsFrom(node, 'validator-0')).toEqual(['over the newer connection']);
    expect(node.transport.send('validator-0', 'consensus', 'reply')).toBe(true);
    await waitFor(() => newer.messages.length === 2, 'the reply on the newer connection');
  });
});

describe('the dialer refuses', () => {
  const fakes: WebSocketServer[] = [];
  afterEach(() => {
    for (const fake of fakes.splice(0)) {
      for (const client of fake.clients) client.terminate();
      fake.close();
    }
  });

  async function dialFake(respond: (socket: WebSocket) => void): Promise<PeerTransport> {
    const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => fake.once('listening', resolve));
    fakes.push(fake);
    fake.on('connection', respond);
    const dialer = createNode(chain, 0, { peers: [{ id: 'validator-1', address: `127.0.0.1:${(fake.address() as AddressInfo).port}` }] });
    await dialer.transport.start();
    return dialer.transport;
  }

  it('an acceptor that is not the validator it dialed', async () => {
    const transport = await dialFake((socket) => socket.send(JSON.stringify({ type: 'challenge', chainId: chain.chainId, validator: 'validator-2', nonce: toHex(randomBytes(32)) })));
    await waitFor(() => transport.stats().handshakeFailures['unexpected-validator'] >= 1, 'the refusal');
    expect(transport.connectedPeers()).toEqual([]);
  });

  it('an acceptor on another chain', async () => {
    const transport = await dialFake((socket) => socket.send(JSON.stringify({ type: 'challenge', chainId: otherChain.chainId, validator: 'validator-1', nonce: toHex(randomBytes(32)) })));
    await waitFor(() => transport.stats().handshakeFailures['wrong-chain'] >= 1, 'the refusal');
    expect(transport.connectedPeers()).toEqual([]);
  });

  it('an acceptor that cannot sign with the validator key it claims', async () => {
    const transport = await dialFake((socket) => {
      socket.send(JSON.stringify({ type: 'challenge', chainId: chain.chainId, validator: 'validator-1', nonce: toHex(randomBytes(32)) }));
      socket.once('message', () => socket.send(JSON.stringify({ type: 'welcome', signature: '11'.repeat(64) })));
    });
    await waitFor(() => transport.stats().handshakeFailures['bad-signature'] >= 1, 'the refusal');
    expect(transport.connectedPeers()).toEqual([]);
  });
});
