import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import {
  answerChallenge,
  checkHello,
  checkWelcome,
  createChallenge,
  dialsTo,
  handshakeDigest,
  HANDSHAKE_MESSAGE_BYTES_MAX,
  parseChallenge,
  parseHello,
  parseWelcome,
  signHandshake,
  type HelloMessage,
  type HandshakeTranscript,
} from '../../../node/transport/handshake.js';
import { TestChain, testKey } from '../../support/test-chain.js';

const chain = new TestChain();
const otherChain = new TestChain({ chainId: 'custodia-other' });
const dialer = { id: 'validator-0', seed: chain.validatorKeys[0]!.seed };
const acceptor = { id: 'validator-1', seed: chain.validatorKeys[1]!.seed };

function nonce(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

/** Runs the dialer's first step against a fresh challenge; returns what a real dialer would send. */
function helloFor(acceptorNonce: Uint8Array, overrides: { chainId?: string; id?: string; seed?: Uint8Array; channelBinding?: Uint8Array } = {}) {
  const challenge = createChallenge(overrides.chainId ?? chain.chainId, acceptor.id, acceptorNonce);
  const answer = answerChallenge({
    chainId: overrides.chainId ?? chain.chainId,
    dialer: { id: overrides.id ?? dialer.id, seed: overrides.seed ?? dialer.seed },
    acceptor: acceptor.id,
    challenge,
    dialerNonce: nonce(7),
    channelBinding: overrides.channelBinding,
  });
  if (!answer.ok) throw new Error(answer.message);
  return answer;
}

function acceptHello(hello: HelloMessage, acceptorNonce: Uint8Array, channelBinding?: Uint8Array) {
  return checkHello({ chainId: chain.chainId, acceptor, validators: chain.validators, acceptorNonce, hello, channelBinding });
}

describe('handshake: the happy path', () => {
  it('admits both sides and each learns the other', () => {
    const acceptorNonce = nonce(1);
    const answer = helloFor(acceptorNonce);
    const checked = acceptHello(answer.hello, acceptorNonce);
    expect(checked.ok && checked.dialer.id).toBe('validator-0');
    if (!checked.ok) return;
    const welcomed = checkWelcome({ validators: chain.validators, transcript: answer.transcript, welcome: checked.welcome });
    expect(welcomed.ok && welcomed.acceptor.id).toBe('validator-1');
  });

  it('round-trips every message through its parser', () => {
    const acceptorNonce = nonce(1);
    const challenge = createChallenge(chain.chainId, acceptor.id, acceptorNonce);
    expect(parseChallenge(JSON.stringify(challenge))).toEqual({ ok: true, message: challenge });
    const answer = helloFor(acceptorNonce);
    expect(parseHello(JSON.stringify(answer.hello))).toEqual({ ok: true, message: answer.hello });
    const checked = acceptHello(answer.hello, acceptorNonce);
    if (!checked.ok) throw new Error(checked.message);
    expect(parseWelcome(JSON.stringify(checked.welcome))).toEqual({ ok: true, message: checked.welcome });
  });

  it('signs a digest that depends on the role, the nonces and the channel binding', () => {
    const transcript: HandshakeTranscript = { chainId: chain.chainId, dialer: dialer.id, acceptor: acceptor.id, dialerNonce: nonce(1), acceptorNonce: nonce(2) };
    const digests = [
      handshakeDigest('dialer', transcript),
      handshakeDigest('acceptor', transcript),
      handshakeDigest('dialer', { ...transcript, acceptorNonce: nonce(3) }),
      handshakeDigest('dialer', { ...transcript, dialerNonce: nonce(3) }),
      handshakeDigest('dialer', { ...transcript, channelBinding: nonce(4) }),
    ].map(toHex);
    expect(new Set(digests).size).toBe(digests.length);
    expect(toHex(handshakeDigest('dialer', { ...transcript }))).toBe(digests[0]);
  });

  it('lets the smaller id dial', () => {
    expect(dialsTo('validator-0', 'validator-1')).toBe(true);
    expect(dialsTo('validator-1', 'validator-0')).toBe(false);
    expect(dialsTo('validator-1', 'validator-1')).toBe(false);
    // Code-unit order, not numeric: both sides compute the same answer, which is all that matters.
    expect(dialsTo('validator-10', 'validator-2')).toBe(true);
  });
});

describe('handshake: the dialer refuses', () => {
  it('a challenge for another chain', () => {
    const challenge = createChallenge('custodia-other', acceptor.id, nonce(1));
    const answer = answerChallenge({ chainId: chain.chainId, dialer, acceptor: acceptor.id, challenge, dialerNonce: nonce(2) });
    expect(answer).toMatchObject({ ok: false, reason: 'wrong-chain' });
  });

  it('a challenge from a validator other than the one it dialed', () => {
    const challenge = createChallenge(chain.chainId, 'validator-2', nonce(1));
    const answer = answerChallenge({ chainId: chain.chainId, dialer, acceptor: acceptor.id, challenge, dialerNonce: nonce(2) });
    expect(answer).toMatchObject({ ok: false, reason: 'unexpected-validator' });
  });

  it('a welcome signed by a key other than the acceptor’s', () => {
    const answer = helloFor(nonce(1));
    const forged = { type: 'welcome' as const, signature: toHex(signHandshake('acceptor', answer.transcript, testKey('impostor').seed)) };
    expect(checkWelcome({ validators: chain.validators, transcript: answer.transcript, welcome: forged })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('a welcome replayed from an earlier connection', () => {
    const earlier = helloFor(nonce(1));
    const earlierCheck = acceptHello(earlier.hello, nonce(1));
    if (!earlierCheck.ok) throw new Error(earlierCheck.message);
    const now = answerChallenge({
      chainId: chain.chainId,
      dialer,
      acceptor: acceptor.id,
      challenge: createChallenge(chain.chainId, acceptor.id, nonce(1)),
      dialerNonce: nonce(9),
    });
    if (!now.ok) throw new Error(now.message);
    expect(checkWelcome({ validators: chain.validators, transcript: now.transcript, welcome: earlierCheck.welcome })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('its own hello reflected back as the welcome', () => {
    const answer = helloFor(nonce(1));
    const reflected = { type: 'welcome' as const, signature: answer.hello.signature };
    expect(checkWelcome({ validators: chain.validators, transcript: { ...answer.transcript, acceptor: dialer.id }, welcome: reflected })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('an acceptor that is no longer in the validator set', () => {
    const answer = helloFor(nonce(1));
    const checked = acceptHello(answer.hello, nonce(1));
    if (!checked.ok) throw new Error(checked.message);
    const smaller = new TestChain({ validators: 1 });
    expect(checkWelcome({ validators: smaller.validators, transcript: answer.transcript, welcome: checked.welcome })).toMatchObject({ ok: false, reason: 'unknown-validator' });
  });
});

describe('handshake: the acceptor refuses', () => {
  it('a hello for another chain', () => {
    const { hello } = helloFor(nonce(1), { chainId: otherChain.chainId });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'wrong-chain' });
  });

  it('a hello naming a validator outside the set (an unknown key)', () => {
    const { hello } = helloFor(nonce(1), { id: 'validator-00', seed: testKey('outsider').seed });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'unknown-validator' });
  });

  it('a hello claiming to be the acceptor itself', () => {
    const { hello } = helloFor(nonce(1), { id: acceptor.id, seed: acceptor.seed });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'self-connection' });
  });

  it('a hello from a validator that should wait to be dialed', () => {
    const { hello } = helloFor(nonce(1), { id: 'validator-2', seed: chain.validatorKeys[2]!.seed });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'wrong-direction' });
  });

  it('a hello impersonating a validator without its key', () => {
    const { hello } = helloFor(nonce(1), { seed: testKey('impostor').seed });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('a hello signed by a validator of another chain with the same id', () => {
    const { hello } = helloFor(nonce(1), { seed: otherChain.validatorKeys[0]!.seed });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('a genuine hello replayed on a later connection (another acceptor nonce)', () => {
    const { hello } = helloFor(nonce(1));
    expect(acceptHello(hello, nonce(1)).ok).toBe(true);
    expect(acceptHello(hello, nonce(2))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('a hello relayed from another TLS session (another channel binding)', () => {
    const { hello } = helloFor(nonce(1), { channelBinding: nonce(5) });
    expect(acceptHello(hello, nonce(1), nonce(5)).ok).toBe(true);
    expect(acceptHello(hello, nonce(1), nonce(6))).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(acceptHello(hello, nonce(1))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('a welcome presented as a hello (role reflection)', () => {
    const answer = helloFor(nonce(1));
    const checked = acceptHello(answer.hello, nonce(1));
    if (!checked.ok) throw new Error(checked.message);
    const reflected = { ...answer.hello, signature: checked.welcome.signature };
    expect(acceptHello(reflected, nonce(1))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('handshake: parsing untrusted messages', () => {
  const valid = JSON.stringify(createChallenge(chain.chainId, acceptor.id, nonce(1)));
  const refusals: Array<[string, string]> = [
    ['not JSON', '{"type":'],
    ['the wrong message type', JSON.stringify({ type: 'welcome', signature: '00'.repeat(64) })],
    ['an extra member', valid.replace('{', '{"extra":1,')],
    ['a duplicate member', valid.replace('{', '{"type":"challenge",')],
    ['a short nonce', JSON.stringify({ ...JSON.parse(valid), nonce: '00'.repeat(31) })],
    ['an uppercase nonce', JSON.stringify({ ...JSON.parse(valid), nonce: 'AB'.repeat(32) })],
    ['a bad chain id', JSON.stringify({ ...JSON.parse(valid), chainId: 'Bad/Chain' })],
    ['an oversized message', JSON.stringify({ ...JSON.parse(valid), validator: 'v'.repeat(HANDSHAKE_MESSAGE_BYTES_MAX) })],
    ['a frame instead of a challenge', JSON.stringify({ channel: 'consensus', payload: {} })],
  ];
  it.each(refusals)('refuses %s', (_name, text) => {
    expect(parseChallenge(text)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses a hello without a signature and a welcome with a short one', () => {
    const { hello } = helloFor(nonce(1));
    const { signature: _omitted, ...unsigned } = hello;
    expect(parseHello(JSON.stringify(unsigned))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parseWelcome(JSON.stringify({ type: 'welcome', signature: 'ab' }))).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
