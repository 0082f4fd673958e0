/**
 * One WebSocket (RFC 6455) between this validator and another: the handshake of handshake.ts as
 * a state machine, then size-checked, rate-limited frames in and a bounded queue of frames out,
 * with keepalive pings (RFC 6455 section 5.5.2). The owning transport decides admission, bans and
 * reconnects; this class only reports what happened.
 *
 * One message listener dispatches on the state, rather than one listener per handshake step,
 * because ws may emit several messages from one TCP chunk synchronously: a peer that sends a
 * frame right behind its hello must find the connection still in the handshake, and be refused.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { assert } from '../../ledger/assert.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import type { TransportFaults } from './faults.js';
import { parseFrame, type FrameRules, type MalformedFrameReason, type OutboundFrame } from './frames.js';
import {
  answerChallenge,
  checkHello,
  checkWelcome,
  createChallenge,
  HANDSHAKE_MESSAGE_BYTES_MAX,
  HANDSHAKE_NONCE_BYTES,
  parseChallenge,
  parseHello,
  parseWelcome,
  TLS_EXPORTER_BYTES,
  TLS_EXPORTER_LABEL,
  type HandshakeIdentity,
  type HandshakeRefusal,
  type HandshakeRole,
  type HandshakeTranscript,
} from './handshake.js';
import type { TransportLimits } from './limits.js';
import type { TransportLogger } from './logger.js';
import { OutboundQueue } from './outbound-queue.js';
import { PeerRateLimit } from './rate-limit.js';
import type { TransportStatistics } from './stats.js';

/**
 * Raw bytes a peer may send before its handshake completes. The handshake needs a few hundred;
 * the cap stops an unauthenticated client from making ws buffer a frame of frameBytesMax.
 */
export const HANDSHAKE_RAW_BYTES_MAX = 4 * HANDSHAKE_MESSAGE_BYTES_MAX;

/** Close status codes, RFC 6455 section 7.4.1. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
/** RFC 6455 section 5.5.1: the reason must fit a control frame with the 2-byte code. */
const CLOSE_REASON_BYTES_MAX = 123;

/** What a connection needs from the transport that owns it. */
export interface ConnectionHost {
  readonly chainId: string;
  readonly self: HandshakeIdentity;
  readonly limits: TransportLimits;
  readonly frameRules: FrameRules;
  readonly logger: TransportLogger;
  readonly statistics: TransportStatistics;
  readonly faults: TransportFaults;
  validators(): ValidatorSet;
  /** Called once the peer proved its key; a refusal closes the connection before it opens. */
  admit(connection: PeerConnection): HandshakeRefusal | undefined;
  opened(connection: PeerConnection): void;
  received(connection: PeerConnection, channel: string, payload: JsonValue): void;
  /** A binary frame's body, a view of the received message. */
  receivedBytes(connection: PeerConnection, channel: string, bytes: Uint8Array): void;
  /** The peer crossed a misbehaviour threshold on this connection. */
  misbehaved(connection: PeerConnection, reason: string): void;
  closed(connection: PeerConnection, outcome: ConnectionOutcome): void;
}

export interface ConnectionOutcome {
  /** Whether the handshake completed, i.e. the connection was open at some point. */
  wasOpen: boolean;
  /** For a dialed connection: whether the socket reached the peer at all. */
  reachedPeer: boolean;
  /** Why this side gave up on the handshake, if it did. */
  handshakeFailure: HandshakeRefusal | undefined;
  code: number;
  reason: string;
}

type ConnectionState = 'awaiting-challenge' | 'awaiting-hello' | 'awaiting-welcome' | 'open' | 'closing' | 'closed';

export function truncateCloseReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.byteLength <= CLOSE_REASON_BYTES_MAX) return reason;
  // Cutting inside a multi-byte character leaves U+FFFD at the end, which is still valid UTF-8.
  return bytes.subarray(0, CLOSE_REASON_BYTES_MAX - 3).toString('utf8').replace(/\uFFFD$/, '');
}

function rawDataBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** RFC 9266: both ends of one TLS 1.3 session derive the same value, and no one else can. */
function tlsChannelBinding(socket: unknown): Uint8Array | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  // TLS 1.3 treats an empty context as no context (RFC 8446 section 7.5), which RFC 9266 asks for.
  return new Uint8Array(socket.exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL, Buffer.alloc(0)));
}

export class PeerConnection {
  readonly closedPromise: Promise<void>;
  private peerId: string | undefined;
  private provenPublicKeyHex: string | undefined;

  private state: ConnectionState;
  private readonly ownNonce = new Uint8Array(randomBytes(HANDSHAKE_NONCE_BYTES));
  private channelBinding: Uint8Array | undefined;
  private transcript: HandshakeTranscript | undefined;
  private handshakeFailure: HandshakeRefusal | undefined;
  private reachedPeer: boolean;
  private wasOpen = false;
  private rawSocket: Socket | undefined;
  private rawBytesDuringHandshake = 0;
  private readonly rateLimit: PeerRateLimit;
  private readonly queue: OutboundQueue<OutboundFrame>;
  private bytesInSocket = 0;
  private malformedFrames = 0;
  private rateLimitedFrames = 0;
  private awaitingPong = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private terminateTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  private constructor(
    private readonly host: ConnectionHost,
    private readonly socket: WebSocket,
    readonly role: HandshakeRole,
    peer: string | undefined,
  ) {
    this.peerId = peer;
    this.state = role === 'acceptor' ? 'awaiting-hello' : 'awaiting-challenge';
    this.reachedPeer = role === 'acceptor';
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    this.rateLimit = new PeerRateLimit(host.limits);
    this.queue = new OutboundQueue(host.limits.outboundQueueFramesMax, host.limits.outboundQueueBytesMax);
    this.handshakeTimer = setTimeout(
      () => this.failHandshake({ ok: false, reason: 'timeout', message: `no handshake within ${host.limits.handshakeTimeoutMs} ms` }),
      host.limits.handshakeTimeoutMs,
    );
    // Without an error listener an EventEmitter throws, and a peer's reset would crash the node.
    socket.on('error', (error) => this.onSocketError(error));
    socket.on('close', (code, reason) => this.onSocketClose(code, reason.toString('utf8')));
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('ping', () => this.onPing());
    socket.on('pong', () => (this.awaitingPong = false));
  }

  /** Takes over a socket the WebSocket server accepted, and challenges the peer at once. */
  static accept(host: ConnectionHost, socket: WebSocket, request: IncomingMessage): PeerConnection {
    const connection = new PeerConnection(host, socket, 'acceptor', undefined);
    connection.guardHandshakeBytes(request.socket);
    connection.bindToTls(request.socket);
    socket.send(JSON.stringify(createChallenge(host.chainId, host.self.id, connection.ownNonce)));
    return connection;
  }

  /** Dials `peer` at `url`; the handshake starts when its challenge arrives. */
  static dial(host: ConnectionHost, peer: string, url: string, options: ClientOptions): PeerConnection {
    const socket = new WebSocket(url, {
      ...options,
      maxPayload: host.limits.frameBytesMax,
      handshakeTimeout: host.limits.handshakeTimeoutMs,
      // Compression would let a small frame inflate past every size check (and leaks through TLS, CRIME).
      perMessageDeflate: false,
      followRedirects: false,
    });
    const connection = new PeerConnection(host, socket, 'dialer', peer);
    let upgradedSocket: Socket | undefined;
    socket.on('upgrade', (response) => {
      connection.reachedPeer = true;
      upgradedSocket = response.socket;
      connection.bindToTls(response.socket);
    });
    // Not at 'upgrade': a 'data' listener added before ws's own makes the socket flow, and bytes
    // that arrived with the 101 response would be emitted to it alone and never reach ws.
    socket.on('open', () => {
      if (upgradedSocket !== undefined) connection.guardHandshakeBytes(upgradedSocket);
    });
    return connection;
  }

  /** The validator on the other side: known from the start when dialing, after the hello when accepting. */
  get peer(): string | undefined {
    return this.peerId;
  }

  /** The key the peer proved, so a governed key change can close connections made with the old one. */
  get peerPublicKeyHex(): string | undefined {
    return this.provenPublicKeyHex;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Queues a frame; false if the connection is not open. Older frames may be dropped (counted). */
  enqueue(frame: OutboundFrame): boolean {
    if (this.state !== 'open') return false;
    this.host.statistics.queueDrops += this.queue.push(frame);
    this.flush();
    return true;
  }

  /** Starts the closing handshake; the socket is destroyed if the peer does not finish it in time. */
  close(code: number, reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.clearTimers();
    this.queue.clear();
    this.socket.close(code, truncateCloseReason(reason));
    this.terminateTimer = setTimeout(() => this.socket.terminate(), this.host.limits.closeGraceMs);
  }

  /** Destroys the socket at once, for peers that are not owed a closing handshake. */
  terminate(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.clearTimers();
    this.queue.clear();
    this.socket.terminate();
  }

  private bindToTls(socket: Socket): void {
    try {
      this.channelBinding = tlsChannelBinding(socket);
    } catch (error) {
      // Only a socket torn down mid-upgrade has no exporter; without it the handshake cannot be bound.
      this.failHandshake({ ok: false, reason: 'closed', message: `no TLS channel binding: ${(error as Error).message}` }, true);
    }
  }

  private describe(): Record<string, unknown> {
    return { peer: this.peer, role: this.role };
  }

  private guardHandshakeBytes(socket: Socket): void {
    this.rawSocket = socket;
    socket.on('data', this.countHandshakeBytes);
  }

  private readonly countHandshakeBytes = (chunk: Buffer): void => {
    this.rawBytesDuringHandshake += chunk.byteLength;
    if (this.rawBytesDuringHandshake > HANDSHAKE_RAW_BYTES_MAX) {
      this.failHandshake({ ok: false, reason: 'malformed', message: `more than ${HANDSHAKE_RAW_BYTES_MAX} bytes before the handshake completed` }, true);
    }
  };

  private failHandshake(refusal: HandshakeRefusal, destroy = false): void {
    if (this.state === 'open' || this.state === 'closing' || this.state === 'closed') return;
    this.handshakeFailure = refusal;
    this.host.statistics.handshakeFailures[refusal.reason]++;
    this.host.logger.info({ ...this.describe(), reason: refusal.reason, detail: refusal.message }, 'peer handshake refused');
    if (destroy) this.terminate();
    else this.close(CLOSE_POLICY_VIOLATION, `handshake refused: ${refusal.reason}`);
  }

  private onSocketError(error: Error): void {
    // ws reports RFC 6455 violations (bad UTF-8, a frame over maxPayload, a bad opcode) here and
    // closes the socket itself; an honest peer never commits them, so they count towards a ban.
    const code = (error as { code?: unknown }).code;
    const isProtocolViolation = typeof code === 'string' && code.startsWith('WS_ERR_');
    if (isProtocolViolation && this.state === 'open') {
      this.host.statistics.malformed['protocol-violation']++;
      this.host.logger.warn({ ...this.describe(), error: error.message }, 'peer broke the WebSocket protocol');
      this.host.misbehaved(this, `protocol violation: ${error.message}`);
    } else if (isProtocolViolation && this.state !== 'closing' && this.state !== 'closed') {
      this.failHandshake({ ok: false, reason: 'malformed', message: error.message }, true);
    } else {
      this.host.logger.debug({ ...this.describe(), error: error.message }, 'peer socket error');
    }
  }

  private onSocketClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    const wasHandshaking = !this.wasOpen && this.state !== 'closing';
    if (wasHandshaking && this.reachedPeer && this.handshakeFailure === undefined) {
      this.handshakeFailure = { ok: false, reason: 'closed', message: `the peer closed the socket during the handshake (${code} ${reason})` };
      this.host.statistics.handshakeFailures.closed++;
    }
    this.state = 'closed';
    this.clearTimers();
    if (this.terminateTimer !== undefined) clearTimeout(this.terminateTimer);
    this.rawSocket?.off('data', this.countHandshakeBytes);
    this.queue.clear();
    this.host.closed(this, {
      wasOpen: this.wasOpen,
      reachedPeer: this.reachedPeer,
      handshakeFailure: this.handshakeFailure,
      code,
      reason,
    });
    this.resolveClosed();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const bytes = rawDataBytes(data);
    switch (this.state) {
      case 'awaiting-challenge':
      case 'awaiting-hello':
      case 'awaiting-welcome':
        this.onHandshakeMessage(bytes, isBinary);
        return;
      case 'open':
        this.onFrame(bytes, isBinary);
        return;
      case 'closing':
      case 'closed':
        return;
    }
  }

  private onHandshakeMessage(bytes: Buffer, isBinary: boolean): void {
    if (isBinary || bytes.byteLength > HANDSHAKE_MESSAGE_BYTES_MAX) {
      this.failHandshake({ ok: false, reason: 'malformed', message: isBinary ? 'a binary message during the handshake' : 'an oversized handshake message' });
      return;
    }
    const text = bytes.toString('utf8');
    const { host } = this;
    if (this.state === 'awaiting-challenge') {
      const parsed = parseChallenge(text);
      if (!parsed.ok) return this.failHandshake(parsed);
      assert(this.peer !== undefined, 'a dialed connection knows its peer');
      const answer = answerChallenge({
        chainId: host.chainId,
        dialer: host.self,
        acceptor: this.peer,
        challenge: parsed.message,
        dialerNonce: this.ownNonce,
        channelBinding: this.channelBinding,
      });
      if (!answer.ok) return this.failHandshake(answer);
      this.transcript = answer.transcript;
      this.state = 'awaiting-welcome';
      this.socket.send(JSON.stringify(answer.hello));
    } else if (this.state === 'awaiting-hello') {
      const parsed = parseHello(text);
      if (!parsed.ok) return this.failHandshake(parsed);
      const checked = checkHello({
        chainId: host.chainId,
        acceptor: host.self,
        validators: host.validators(),
        acceptorNonce: this.ownNonce,
        hello: parsed.message,
        channelBinding: this.channelBinding,
      });
      if (!checked.ok) return this.failHandshake(checked);
      this.peerId = checked.dialer.id;
      this.provenPublicKeyHex = checked.dialer.publicKeyHex;
      const refusal = host.admit(this);
      if (refusal !== undefined) return this.failHandshake(refusal);
      this.socket.send(JSON.stringify(checked.welcome));
      this.becomeOpen();
    } else {
      const parsed = parseWelcome(text);
      if (!parsed.ok) return this.failHandshake(parsed);
      assert(this.transcript !== undefined, 'the welcome is awaited only after the hello was sent');
      const checked = checkWelcome({ validators: host.validators(), transcript: this.transcript, welcome: parsed.message });
      if (!checked.ok) return this.failHandshake(checked);
      this.provenPublicKeyHex = checked.acceptor.publicKeyHex;
      const refusal = host.admit(this);
      if (refusal !== undefined) return this.failHandshake(refusal);
      this.becomeOpen();
    }
  }

  private becomeOpen(): void {
    this.state = 'open';
    this.wasOpen = true;
    this.clearTimers();
    this.rawSocket?.off('data', this.countHandshakeBytes);
    this.pingTimer = setInterval(() => this.keepAlive(), this.host.limits.pingIntervalMs);
    this.host.opened(this);
  }

  private keepAlive(): void {
    if (this.awaitingPong) {
      this.host.logger.info(this.describe(), 'peer missed a keepalive ping');
      this.terminate();
      return;
    }
    this.awaitingPong = true;
    this.socket.ping();
  }

  private onPing(): void {
    // ws answers pings itself; they still cost a frame from the peer's allowance.
    if (this.state === 'open' && !this.rateLimit.admit(0)) this.onRateLimited();
  }

  private onFrame(bytes: Buffer, isBinary: boolean): void {
    const { host } = this;
    assert(this.peer !== undefined, 'an open connection knows its peer');
    this.awaitingPong = false;
    host.statistics.bytesIn += bytes.byteLength;
    if (host.faults.dropsInbound(this.peer)) {
      host.statistics.faultDrops.inbound++;
      return;
    }
    if (!this.rateLimit.admit(bytes.byteLength)) {
      this.onRateLimited();
      return;
    }
    const parsed = parseFrame(bytes, isBinary, host.frameRules);
    if (!parsed.ok) {
      this.onMalformed(parsed.reason, parsed.message);
      return;
    }
    host.statistics.framesIn++;
    if ('bytes' in parsed) host.receivedBytes(this, parsed.channel, parsed.bytes);
    else host.received(this, parsed.channel, parsed.payload);
  }

  private onRateLimited(): void {
    this.host.statistics.rateLimited++;
    this.rateLimitedFrames++;
    if (this.rateLimitedFrames === this.host.limits.rateLimitedFramesBeforeBan) {
      this.host.misbehaved(this, `exceeded its rate limit ${this.rateLimitedFrames} times`);
    }
  }

  private onMalformed(reason: MalformedFrameReason, message: string): void {
    this.host.statistics.malformed[reason]++;
    this.malformedFrames++;
    this.host.logger.debug({ ...this.describe(), reason, detail: message }, 'malformed frame dropped');
    if (this.malformedFrames === this.host.limits.malformedFramesBeforeBan) {
      this.host.misbehaved(this, `sent ${this.malformedFrames} malformed frames`);
    }
  }

  /** Hands queued frames to the socket while its unwritten bytes stay under the limit. */
  private flush(): void {
    const { statistics, limits } = this.host;
    while (this.state === 'open' && this.bytesInSocket < limits.socketBufferBytesMax) {
      const frame = this.queue.shift();
      if (frame === undefined) return;
      this.bytesInSocket += frame.byteLength;
      statistics.framesOut++;
      statistics.bytesOut += frame.byteLength;
      this.socket.send(frame.data, { binary: frame.binary }, () => {
        this.bytesInSocket -= frame.byteLength;
        this.flush();
      });
    }
  }

  private clearTimers(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.handshakeTimer = undefined;
    this.pingTimer = undefined;
  }
}
