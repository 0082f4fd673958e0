import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerChallenge } from '../../../node/transport/handshake.js';
import { TestChain } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { createNode, nodeAt, payloadsFrom, startNetwork, waitFor, waitForMesh } from './fixtures/network.js';
import { connectRaw, receiveChallenge } from './fixtures/raw-peer.js';
import { selfSignedCertificate, type TestCertificate } from './fixtures/tls.js';

const chain = new TestChain();
const temporaryDirectory = temporaryDirectories('transport-tls');
let certificate: TestCertificate;

beforeAll(async () => {
  certificate = selfSignedCertificate(await temporaryDirectory());
});

function tlsOptions() {
  return { tls: { cert: certificate.cert, key: certificate.key, ca: certificate.cert } };
}

describe('TLS', () => {
  it('connects two transports over wss and exchanges frames', async () => {
    const nodes = await startNetwork(chain, [0, 1], tlsOptions);
    await waitForMesh(nodes);
    const [zero, one] = [nodeAt(nodes, 0), nodeAt(nodes, 1)];
    expect(zero.transport.send('validator-1', 'consensus', { over: 'wss' })).toBe(true);
    expect(one.transport.send('validator-0', 'consensus', { over: 'wss', reply: true })).toBe(true);
    await waitFor(() => zero.received.length === 1 && one.received.length === 1, 'frames both ways');
    expect(payloadsFrom(one, 'validator-0')).toEqual([{ over: 'wss' }]);
    expect(payloadsFrom(zero, 'validator-1')).toEqual([{ over: 'wss', reply: true }]);
  });

  it('refuses a plain WebSocket client', async () => {
    const node = createNode(chain, 1, tlsOptions());
    await node.transport.start();
    await expect(connectRaw(node.transport.port)).rejects.toThrow();
    await waitFor(() => node.transport.stats().tlsFailures >= 1, 'the TLS failure to be counted');
    expect(node.transport.connectedPeers()).toEqual([]);
  });

  it('does not dial a peer whose certificate it cannot verify', async () => {
    const acceptor = createNode(chain, 1, tlsOptions());
    await acceptor.transport.start();
    // No ca: the system roots, which never signed a throwaway self-signed certificate.
    const dialer = createNode(chain, 0, { tls: { cert: certificate.cert, key: certificate.key }, peers: [{ id: 'validator-1', address: `127.0.0.1:${acceptor.transport.port}` }] });
    await dialer.transport.start();
    await waitFor(() => dialer.transport.stats().dialFailures >= 2, 'failed dials');
    expect(dialer.transport.connectedPeers()).toEqual([]);
    expect(acceptor.transport.stats().connectionsOpened).toBe(0);
  });

  it('binds the handshake to the TLS session: a hello without the channel binding is refused', async () => {
    const node = createNode(chain, 1, tlsOptions());
    await node.transport.start();
    const peer = await connectRaw(node.transport.port, { scheme: 'wss', ca: certificate.cert });
    const challenge = await receiveChallenge(peer);
    const answer = answerChallenge({
      chainId: chain.chainId,
      dialer: { id: 'validator-0', seed: chain.validatorKeys[0]!.seed },
      acceptor: 'validator-1',
      challenge,
      dialerNonce: new Uint8Array(randomBytes(32)),
    });
    if (!answer.ok) throw new Error(answer.message);
    peer.socket.send(JSON.stringify(answer.hello));
    expect(await peer.closed).toEqual({ code: 1008, reason: 'handshake refused: bad-signature' });
  });
});
