/**
 * The validator handshake: a mutual challenge-response that admits a WebSocket connection only
 * between two validators of the current set, each proving its validator key over fresh nonces.
 * Pure functions: no sockets, no clocks, no randomness (the caller supplies nonces).
 *
 *   acceptor -> dialer   {type: 'challenge', chainId, validator: acceptorId, nonce: acceptorNonce}
 *   dialer   -> acceptor {type: 'hello', chainId, validator: dialerId, nonce: dialerNonce, signature}
 *   acceptor -> dialer   {type: 'welcome', signature}
 *
 * Each signature (purpose 'handshake', so it can never pass for a vote or a transaction) covers
 * SHA-256 of the RFC 8785 canonical JSON of {role, chainId, dialer, acceptor, dialerNonce,
 * acceptorNonce}, with role 'dialer' in the hello and 'acceptor' in the welcome so that neither
 * can be reflected back as the other. Because the hello covers the acceptor's fresh nonce, a hello
 * captured from an earlier connection (or from a fake acceptor) fails on any new connection; the
 * welcome covers the dialer's nonce, so the dialer gets the same guarantee.
 *
 * Over TLS the structure also carries `channelBinding`, the TLS exporter of RFC 9266
 * (tls-exporter, label "EXPORTER-Channel-Binding"), so a relay that terminates TLS separately
 * towards each side cannot forward the handshake: the two sessions have different exporters.
 *
 * Dial direction: of any two validators, the one whose id sorts first (UTF-16 code units, the
 * order of JavaScript `<`) dials and the other only accepts, so each pair has one connection; an
 * acceptor refuses a hello from a validator that should have waited to be dialed.
 */
import { z } from 'zod';
import { canonicalBytes } from '../../ledger/encoding/canonical-json.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { signFor, verifyFor } from '../../ledger/crypto/signatures.js';
import { fromHex, toHex } from '../../ledger/encoding/hex.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { chainId as chainIdSchema, identifier, signatureHex } from '../../ledger/model/primitives.js';
import { describeZodError } from '../../ledger/model/zod-errors.js';
import type { ValidatorEntry, ValidatorSet } from '../../ledger/model/validator-set.js';
import { assert } from '../../ledger/assert.js';

export const HANDSHAKE_NONCE_BYTES = 32;
/** Every handshake message is far smaller; anything larger is not a handshake message. */
export const HANDSHAKE_MESSAGE_BYTES_MAX = 2048;
/** RFC 9266 section 2. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const TLS_EXPORTER_BYTES = 32;

const nonceHex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 32-byte nonce as 64 lowercase hex digits');

export const challengeMessageSchema = z.strictObject({
  type: z.literal('challenge'),
  chainId: chainIdSchema,
  validator: identifier,
  nonce: nonceHex,
});
export const helloMessageSchema = z.strictObject({
  type: z.literal('hello'),
  chainId: chainIdSchema,
  validator: identifier,
  nonce: nonceHex,
  signature: signatureHex,
});
export const welcomeMessageSchema = z.strictObject({ type: z.literal('welcome'), signature: signatureHex });

export type ChallengeMessage = z.infer<typeof challengeMessageSchema>;
export type HelloMessage = z.infer<typeof helloMessageSchema>;
export type WelcomeMessage = z.infer<typeof welcomeMessageSchema>;

export type HandshakeRole = 'dialer' | 'acceptor';

export const HANDSHAKE_FAILURE_REASONS = [
  /** Not a well-formed handshake message of the expected type (binary, bad JSON, bad shape, too large). */
  'malformed',
  'timeout',
  /** The other side closed the socket before the handshake finished. */
  'closed',
  'wrong-chain',
  /** The claimed validator is not in the current validator set. */
  'unknown-validator',
  /** A validator dialing itself (a misconfigured peer address). */
  'self-connection',
  /** The dialer's id does not sort before the acceptor's, so it should have waited to be dialed. */
  'wrong-direction',
  /** The acceptor is not the validator the dialer meant to reach. */
  'unexpected-validator',
  'bad-signature',
  'banned',
  /** Too many connections were still in their handshake. */
  'too-many-pending',
] as const;
export type HandshakeFailureReason = (typeof HANDSHAKE_FAILURE_REASONS)[number];

export interface HandshakeRefusal {
  ok: false;
  reason: HandshakeFailureReason;
  message: string;
}

function refuse(reason: HandshakeFailureReason, message: string): HandshakeRefusal {
  return { ok: false, reason, message };
}

/** What both signatures of one connection cover, apart from the role. */
export interface HandshakeTranscript {
  chainId: string;
  dialer: string;
  acceptor: string;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
  /** The TLS exporter of this connection (RFC 9266), or undefined on a plain connection. */
  channelBinding?: Uint8Array | undefined;
}

export function handshakeDigest(role: HandshakeRole, transcript: HandshakeTranscript): Uint8Array {
  const covered: Record<string, string> = {
    role,
    chainId: transcript.chainId,
    dialer: transcript.dialer,
    acceptor: transcript.acceptor,
    dialerNonce: toHex(transcript.dialerNonce),
    acceptorNonce: toHex(transcript.acceptorNonce),
  };
  if (transcript.channelBinding !== undefined) covered.channelBinding = toHex(transcript.channelBinding);
  return sha256(canonicalBytes(covered));
}

export function signHandshake(role: HandshakeRole, transcript: HandshakeTranscript, seed: Uint8Array): Uint8Array {
  return signFor('handshake', transcript.chainId, seed, handshakeDigest(role, transcript));
}

export function verifyHandshake(role: HandshakeRole, transcript: HandshakeTranscript, publicKey: Uint8Array, signature: Uint8Array): boolean {
  return verifyFor('handshake', transcript.chainId, publicKey, handshakeDigest(role, transcript), signature);
}

/** The dial rule: the validator whose id sorts first dials. */
export function dialsTo(self: string, peer: string): boolean {
  return self < peer;
}

export type ParsedHandshakeMessage<T> = { ok: true; message: T } | HandshakeRefusal;

function parseMessage<T>(text: string, schema: z.ZodType<T>, expected: string): ParsedHandshakeMessage<T> {
  const parsed = parseStrictJson(text, { bytesMax: HANDSHAKE_MESSAGE_BYTES_MAX, depthMax: 2, stringLengthMax: 512, arrayLengthMax: 0, objectKeysMax: 8 });
  if (!parsed.ok) return refuse('malformed', `expected a ${expected} message: ${parsed.error.message}`);
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) return refuse('malformed', `expected a ${expected} message: ${describeZodError(checked.error).message}`);
  return { ok: true, message: checked.data };
}

export function parseChallenge(text: string): ParsedHandshakeMessage<ChallengeMessage> {
  return parseMessage(text, challengeMessageSchema, 'challenge');
}

export function parseHello(text: string): ParsedHandshakeMessage<HelloMessage> {
  return parseMessage(text, helloMessageSchema, 'hello');
}

export function parseWelcome(text: string): ParsedHandshakeMessage<WelcomeMessage> {
  return parseMessage(text, welcomeMessageSchema, 'welcome');
}

function checkNonce(nonce: Uint8Array): void {
  assert(nonce.length === HANDSHAKE_NONCE_BYTES, `a handshake nonce must be ${HANDSHAKE_NONCE_BYTES} bytes`);
}

/** Acceptor, first step: the challenge sent as soon as a socket opens. */
export function createChallenge(chainId: string, acceptor: string, acceptorNonce: Uint8Array): ChallengeMessage {
  checkNonce(acceptorNonce);
  return { type: 'challenge', chainId, validator: acceptor, nonce: toHex(acceptorNonce) };
}

export interface HandshakeIdentity {
  id: string;
  seed: Uint8Array;
}

export type AnswerResult = { ok: true; hello: HelloMessage; transcript: HandshakeTranscript } | HandshakeRefusal;

/** Dialer: checks the challenge names our chain and the validator we dialed, and signs the hello. */
export function answerChallenge(input: {
  chainId: string;
  dialer: HandshakeIdentity;
  /** The validator this connection was dialed to reach. */
  acceptor: string;
  challenge: ChallengeMessage;
  dialerNonce: Uint8Array;
  channelBinding?: Uint8Array | undefined;
}): AnswerResult {
  const { chainId, dialer, acceptor, challenge, dialerNonce, channelBinding } = input;
  checkNonce(dialerNonce);
  if (challenge.chainId !== chainId) return refuse('wrong-chain', `the acceptor is on chain ${challenge.chainId}, not ${chainId}`);
  if (challenge.validator !== acceptor) {
    return refuse('unexpected-validator', `dialed ${acceptor} but the acceptor says it is ${challenge.validator}`);
  }
  const transcript: HandshakeTranscript = {
    chainId,
    dialer: dialer.id,
    acceptor,
    dialerNonce,
    acceptorNonce: fromHex(challenge.nonce),
    channelBinding,
  };
  const signature = signHandshake('dialer', transcript, dialer.seed);
  return { ok: true, hello: { type: 'hello', chainId, validator: dialer.id, nonce: toHex(dialerNonce), signature: toHex(signature) }, transcript };
}

export type HelloCheck = { ok: true; dialer: ValidatorEntry; welcome: WelcomeMessage; transcript: HandshakeTranscript } | HandshakeRefusal;

/**
 * Acceptor: admits the dialer only if it is another validator of the current set, on our chain,
 * entitled to dial us, and its signature covers the nonce we sent on this very connection.
 */
export function checkHello(input: {
  chainId: string;
  acceptor: HandshakeIdentity;
  validators: ValidatorSet;
  acceptorNonce: Uint8Array;
  hello: HelloMessage;
  channelBinding?: Uint8Array | undefined;
}): HelloCheck {
  const { chainId, acceptor, validators, acceptorNonce, hello, channelBinding } = input;
  checkNonce(acceptorNonce);
  if (hello.chainId !== chainId) return refuse('wrong-chain', `the dialer is on chain ${hello.chainId}, not ${chainId}`);
  if (hello.validator === acceptor.id) return refuse('self-connection', `the dialer claims to be this validator (${acceptor.id})`);
  const dialer = validators.get(hello.validator);
  if (dialer === undefined) return refuse('unknown-validator', `${hello.validator} is not in the validator set`);
  if (!dialsTo(hello.validator, acceptor.id)) {
    return refuse('wrong-direction', `${hello.validator} must wait for ${acceptor.id} to dial it (the smaller id dials)`);
  }
  const transcript: HandshakeTranscript = {
    chainId,
    dialer: hello.validator,
    acceptor: acceptor.id,
    dialerNonce: fromHex(hello.nonce),
    acceptorNonce,
    channelBinding,
  };
  if (!verifyHandshake('dialer', transcript, dialer.publicKey, fromHex(hello.signature))) {
    return refuse('bad-signature', `the hello is not signed by ${hello.validator}'s key over this connection's challenge`);
  }
  const welcome: WelcomeMessage = { type: 'welcome', signature: toHex(signHandshake('acceptor', transcript, acceptor.seed)) };
  return { ok: true, dialer, welcome, transcript };
}

export type WelcomeCheck = { ok: true; acceptor: ValidatorEntry } | HandshakeRefusal;

/** Dialer: the acceptor proves it holds the key the current set gives the validator we dialed. */
export function checkWelcome(input: { validators: ValidatorSet; transcript: HandshakeTranscript; welcome: WelcomeMessage }): WelcomeCheck {
  const { validators, transcript, welcome } = input;
  const acceptor = validators.get(transcript.acceptor);
  if (acceptor === undefined) return refuse('unknown-validator', `${transcript.acceptor} is not in the validator set`);
  if (!verifyHandshake('acceptor', transcript, acceptor.publicKey, fromHex(welcome.signature))) {
    return refuse('bad-signature', `the welcome is not signed by ${transcript.acceptor}'s key over this connection's nonces`);
  }
  return { ok: true, acceptor };
}
