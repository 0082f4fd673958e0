/**
 * PeerTransport: the validator-to-validator network of one node, over WebSockets (RFC 6455) on
 * real sockets, with TLS (wss) when a certificate is configured.
 *
 * - Each pair of validators keeps one connection. The validator whose id sorts first (JavaScript
 *   `<` on the ids) dials; the other only accepts, and refuses a hello from the wrong direction.
 * - A connection carries frames only after the mutual handshake of handshake.ts.
 * - Duplicate rule: when a peer completes a handshake while an older connection from it is still
 *   open, the NEWER connection is kept and the older one closed (and counted). A dialer only dials
 *   when it has lost its connection, so the older one is almost always half-open (the peer crashed
 *   or its network dropped without a FIN); keeping it would lock the peer out until keepalive
 *   noticed. Only the holder of the validator's key can trigger a replacement.
 * - Dialers reconnect with exponential backoff and jitter (backoff.ts). Bans (for malformed
 *   frames, protocol violations or persistent rate-limit excess) close the connection and refuse
 *   the peer, on either side, for banMs.
 * - Frames (frames.ts) are text, {"channel", "payload"} in JSON, except on the channels named
 *   in `binaryChannels`, which carry binary frames: a header naming the channel, then raw bytes
 *   (the consensus channel). Each kind is refused on the other's channels.
 * - No peer input ever throws out of here: every socket, server and TLS error has a listener, and
 *   bad input becomes a counted, logged refusal.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { ClientOptions, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { assert } from '../../ledger/assert.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { reconnectDelayMs } from './backoff.js';
import { TransportFaults } from './faults.js';
import {
  binaryFrameBytes,
  CHANNEL_NAME_PATTERN,
  encodeBinaryFrame,
  encodeFrame,
  frameLimitFor,
  isBinaryChannel,
  outboundFrame,
  type ChannelLimits,
  type FrameBody,
  type FrameRules,
  type OutboundFrame,
} from './frames.js';
import { HandshakeSlots, normalizedAddress } from './handshake-slots.js';
import { dialsTo, type HandshakeIdentity, type HandshakeRefusal, type HandshakeRole } from './handshake.js';
import { resolveTransportLimits, type TransportLimits } from './limits.js';
import { SILENT_LOGGER, type TransportLogger } from './logger.js';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION, PeerConnection, type ConnectionHost, type ConnectionOutcome } from './peer-connection.js';
import { cryptoRandom, type RandomSource } from './random.js';
import { copyStatistics, emptyStatistics, type TransportStatistics } from './stats.js';

/** The HTTP path of the peer endpoint; requests anywhere else are refused before any upgrade. */
export const PEER_ENDPOINT_PATH = '/custodia/v1/peers';

/** host:port, with IPv6 hosts in brackets. */
const PEER_ADDRESS_PATTERN = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;

export interface PeerAddress {
  id: string;
  /** host:port of the peer's transport listener. */
  address: string;
}

export interface TransportTls {
  /** PEM certificate chain this transport presents. */
  cert: string;
  /** PEM private key of the certificate. */
  key: string;
  /** PEM certificates trusted to sign peers' certificates; the system's roots when absent. */
  ca?: string;
}

export interface PeerTransportOptions {
  chainId: string;
  self: HandshakeIdentity;
  /** The current validator set; replace it with setValidators when governance changes it. */
  validators: ValidatorSet;
  /** Port 0 picks a free port; read it from `port` after start(). */
  listen: { host: string; port: number };
  /** Where to reach other validators. Only the addresses of peers this validator dials are used. */
  peers: readonly PeerAddress[];
  /** When given: listen with https and wss, dial wss only, TLS 1.3 with certificate checks. */
  tls?: TransportTls;
  limits?: Partial<TransportLimits>;
  /** When given, frames on other channels are malformed, and each channel has its own size limit. */
  channels?: Readonly<Record<string, ChannelLimits>>;
  /**
   * Channels that carry binary frames (sendBytes, broadcastBytes, onBytes) and only those; every
   * other channel carries text frames. A frame of the wrong kind from a peer is malformed.
   */
  binaryChannels?: readonly string[];
  logger?: TransportLogger;
  faults?: TransportFaults;
  /** Source of reconnect jitter; the operating system's randomness by default. */
  random?: RandomSource;
}

export type FrameHandler = (from: string, channel: string, payload: JsonValue) => void;
/** `bytes` is a view of the received frame: read it, keep it, but do not change it. */
export type BytesHandler = (from: string, channel: string, bytes: Uint8Array) => void;
export type PeerUpHandler = (peer: string) => void;
export type PeerDownHandler = (peer: string, reason: string) => void;

export interface ConnectionSummary {
  peer: string;
  /** This side's role: 'dialer' if this validator dialed the peer. */
  role: HandshakeRole;
}

interface DialState {
  address: string;
  /** Failed attempts since the last successful handshake. */
  failedAttempts: number;
  dialed: boolean;
  timer: NodeJS.Timeout | undefined;
  connection: PeerConnection | undefined;
}

type TransportState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class PeerTransport {
  readonly faults: TransportFaults;
  private readonly host: ConnectionHost;
  private readonly limits: TransportLimits;
  private readonly logger: TransportLogger;
  private readonly random: RandomSource;
  private readonly statistics = emptyStatistics();
  private validatorSet: ValidatorSet;
  private peers: readonly PeerAddress[];
  private state: TransportState = 'new';
  private server: Server | undefined;
  private webSocketServer: WebSocketServer | undefined;
  private boundPort: number | undefined;
  /** Connections that completed the handshake, one per peer. */
  private readonly open = new Map<string, PeerConnection>();
  /** Every live connection, open or still in its handshake. */
  private readonly live = new Set<PeerConnection>();
  /** Accepted connections still in their handshake, with the address each came from (handshake-slots.ts). */
  private readonly inboundHandshakes: HandshakeSlots;
  private readonly dialers = new Map<string, DialState>();
  private readonly bannedUntilMs = new Map<string, number>();
  private readonly delayedFrames = new Set<NodeJS.Timeout>();
  /** Frames held by a simulated latency, per peer, in the order they were sent. */
  private readonly inOrderDelayed = new Map<string, Array<{ releaseAtMs: number; frame: OutboundFrame }>>();
  private readonly frameHandlers = new Set<FrameHandler>();
  private readonly bytesHandlers = new Set<BytesHandler>();
  private readonly peerUpHandlers = new Set<PeerUpHandler>();
  private readonly peerDownHandlers = new Set<PeerDownHandler>();

  constructor(private readonly options: PeerTransportOptions) {
    this.limits = resolveTransportLimits(options.limits);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.random = options.random ?? cryptoRandom;
    this.faults = options.faults ?? new TransportFaults(this.random);
    this.validatorSet = options.validators;
    this.peers = checkPeers(options.peers, options.self.id);
    this.inboundHandshakes = new HandshakeSlots(this.limits, this.logger);
    this.inboundHandshakes.reserveFor(this.peers);
    const binaryChannels = new Set(options.binaryChannels ?? []);
    const frameRules: FrameRules = { frameBytesMax: this.limits.frameBytesMax, channels: options.channels, binaryChannels };
    for (const [channel, channelLimits] of Object.entries(options.channels ?? {})) {
      assert(channelLimits.frameBytesMax > 0 && channelLimits.frameBytesMax <= this.limits.frameBytesMax, `channel ${channel}: frameBytesMax must be in 1..frameBytesMax`);
    }
    for (const channel of binaryChannels) {
      assert(CHANNEL_NAME_PATTERN.test(channel), `invalid binary channel name ${JSON.stringify(channel)}`);
      assert(options.channels === undefined || Object.hasOwn(options.channels, channel), `binary channel ${channel} is not among the channels`);
    }
    this.host = {
      chainId: options.chainId,
      self: options.self,
      limits: this.limits,
      frameRules,
      logger: this.logger,
      statistics: this.statistics,
      faults: this.faults,
      validators: () => this.validatorSet,
      admit: (connection) => this.admit(connection),
      opened: (connection) => this.opened(connection),
      received: (connection, channel, payload) => this.received(connection, channel, payload),
      receivedBytes: (connection, channel, bytes) => this.receivedBytes(connection, channel, bytes),
      misbehaved: (connection, reason) => this.misbehaved(connection, reason),
      closed: (connection, outcome) => this.closed(connection, outcome),
    };
  }

  /** The port the listener is bound to (useful with port 0). */
  get port(): number {
    assert(this.boundPort !== undefined, 'the transport is not listening');
    return this.boundPort;
  }

  /** Listens, then dials every peer this validator is meant to dial. Rejects if it cannot listen. */
  async start(): Promise<void> {
    assert(this.state === 'new', 'a transport starts once');
    this.state = 'starting';
    const { tls, listen } = this.options;
    // A client that opens a socket and never finishes its upgrade request is not yet counted
    // against pendingHandshakesMax, so the HTTP layer must give up on it as quickly.
    const httpOptions = {
      headersTimeout: this.limits.handshakeTimeoutMs,
      requestTimeout: this.limits.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, this.limits.handshakeTimeoutMs),
    };
    const server =
      tls === undefined
        ? createHttpServer(httpOptions)
        : createHttpsServer({ ...httpOptions, cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.3' });
    this.server = server;
    server.on('request', refusePlainRequest);
    server.on('clientError', (error, socket) => {
      this.logger.debug({ error: error.message }, 'malformed HTTP request on the peer port');
      socket.destroy();
    });
    server.on('tlsClientError', (error: Error, socket: Socket) => {
      this.statistics.tlsFailures++;
      this.logger.debug({ error: error.message }, 'TLS handshake failed on the peer port');
      socket.destroy();
    });
    const webSocketServer = new WebSocketServer({
      server,
      path: PEER_ENDPOINT_PATH,
      maxPayload: this.limits.frameBytesMax,
      // Compression would let a small frame inflate past every size check (and leaks through TLS, CRIME).
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.webSocketServer = webSocketServer;
    webSocketServer.on('error', (error) => this.logger.error({ error: error.message }, 'peer listener error'));
    webSocketServer.on('connection', (socket, request) => this.accept(socket, request));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error({ error: error.message }, 'peer listener error'));
    this.boundPort = (server.address() as AddressInfo).port;
    this.state = 'running';
    this.logger.info({ host: listen.host, port: this.boundPort, tls: tls !== undefined }, 'peer transport listening');
    this.reconcileDialers();
  }

  /** Closes every connection and the listener, and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const wasListening = this.state === 'running';
    this.state = 'stopping';
    for (const dial of this.dialers.values()) if (dial.timer !== undefined) clearTimeout(dial.timer);
    this.dialers.clear();
    for (const timer of this.delayedFrames) clearTimeout(timer);
    this.delayedFrames.clear();
    this.inOrderDelayed.clear();
    const closing = [...this.live].map((connection) => {
      connection.close(CLOSE_GOING_AWAY, 'validator stopping');
      return connection.closedPromise;
    });
    if (wasListening && this.server !== undefined) {
      const server = this.server;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      this.webSocketServer?.close();
      server.closeAllConnections();
      await Promise.all([...closing, serverClosed]);
    } else {
      await Promise.all(closing);
    }
    this.state = 'stopped';
  }

  /**
   * Queues a frame to one peer. False when the peer is not connected or the frame is over the
   * size limit; true when queued (or swallowed by a fault hook, as a lossy network would).
   */
  send(to: string, channel: string, payload: JsonValue): boolean {
    const frame = this.encode(channel, payload);
    return frame !== undefined && this.deliver(to, frame);
  }

  /** Queues a frame to every connected peer, encoding it once; returns how many peers took it. */
  broadcast(channel: string, payload: JsonValue): number {
    const frame = this.encode(channel, payload);
    return frame === undefined ? 0 : this.deliverToAll(frame);
  }

  /** Queues a binary frame on a binary channel to one peer; false as for send. */
  sendBytes(to: string, channel: string, body: FrameBody): boolean {
    const frame = this.encodeBytes(channel, body);
    return frame !== undefined && this.deliver(to, frame);
  }

  /** Queues a binary frame to every connected peer, built once and shared; returns how many peers took it. */
  broadcastBytes(channel: string, body: FrameBody): number {
    const frame = this.encodeBytes(channel, body);
    return frame === undefined ? 0 : this.deliverToAll(frame);
  }

  /** Text frames from authenticated peers; handlers must not throw on bad payloads (they are peer input). */
  onFrame(handler: FrameHandler): () => void {
    return subscribe(this.frameHandlers, handler);
  }

  /** Binary frames from authenticated peers, on the binary channels; handlers must not throw on bad bytes. */
  onBytes(handler: BytesHandler): () => void {
    return subscribe(this.bytesHandlers, handler);
  }

  onPeerUp(handler: PeerUpHandler): () => void {
    return subscribe(this.peerUpHandlers, handler);
  }

  onPeerDown(handler: PeerDownHandler): () => void {
    return subscribe(this.peerDownHandlers, handler);
  }

  /** Peers with an open connection (one being closed, e.g. for a ban, no longer counts). */
  connectedPeers(): string[] {
    return this.connections().map((connection) => connection.peer);
  }

  connections(): ConnectionSummary[] {
    return [...this.open.entries()]
      .filter(([, connection]) => connection.isOpen)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([peer, connection]) => ({ peer, role: connection.role }));
  }

  stats(): TransportStatistics {
    return copyStatistics(this.statistics);
  }

  isBanned(peer: string): boolean {
    const until = this.bannedUntilMs.get(peer);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.bannedUntilMs.delete(peer);
    return false;
  }

  /**
   * Adopts a governed change of the validator set: connections of removed validators, or made
   * with a key the set no longer gives them, are closed; new validators are dialed if due.
   */
  setValidators(validators: ValidatorSet): void {
    this.validatorSet = validators;
    for (const [peer, connection] of this.open) {
      const entry = validators.get(peer);
      if (entry === undefined || entry.publicKeyHex !== connection.peerPublicKeyHex) {
        connection.close(CLOSE_POLICY_VIOLATION, entry === undefined ? 'removed from the validator set' : 'validator key changed');
      }
    }
    this.reconcileDialers();
  }

  /** Replaces the peer address book; dialers pick up new addresses on their next dial. */
  setPeers(peers: readonly PeerAddress[]): void {
    this.peers = checkPeers(peers, this.options.self.id);
    this.inboundHandshakes.reserveFor(this.peers);
    this.reconcileDialers();
  }

  private encode(channel: string, payload: JsonValue): OutboundFrame | undefined {
    assert(!isBinaryChannel(channel, this.host.frameRules), `channel ${channel} carries binary frames: use sendBytes`);
    const frame = encodeFrame(channel, payload);
    return this.withinLimit(channel, frame.byteLength) ? outboundFrame(frame, false) : undefined;
  }

  /** Checks the size before building the frame, so an oversized body is never copied. */
  private encodeBytes(channel: string, body: FrameBody): OutboundFrame | undefined {
    assert(isBinaryChannel(channel, this.host.frameRules), `channel ${channel} carries text frames: use send`);
    if (!this.withinLimit(channel, binaryFrameBytes(channel, body))) return undefined;
    return outboundFrame(encodeBinaryFrame(channel, body), true);
  }

  private withinLimit(channel: string, bytes: number): boolean {
    const limit = frameLimitFor(channel, this.host.frameRules);
    if (bytes <= limit) return true;
    this.statistics.sendRefused['too-large']++;
    this.logger.warn({ channel, bytes, limit }, 'outbound frame over the size limit not sent');
    return false;
  }

  private deliverToAll(frame: OutboundFrame): number {
    let delivered = 0;
    for (const [peer, connection] of [...this.open]) if (connection.isOpen && this.deliver(peer, frame)) delivered++;
    return delivered;
  }

  private deliver(to: string, frame: OutboundFrame): boolean {
    const connection = this.open.get(to);
    if (connection === undefined || !connection.isOpen) {
      this.statistics.sendRefused['not-connected']++;
      return false;
    }
    const decision = this.faults.outbound(to, performance.now());
    if (decision.action === 'drop') {
      this.statistics.faultDrops.outbound++;
      return true;
    }
    if (decision.delayMs === 0 && this.inOrderDelayed.get(to) === undefined) return connection.enqueue(frame);
    this.statistics.faultDelays++;
    if (decision.inOrder === true) {
      this.delayInOrder(to, frame, performance.now() + decision.delayMs);
      return true;
    }
    const timer = setTimeout(() => {
      this.delayedFrames.delete(timer);
      this.open.get(to)?.enqueue(frame);
    }, decision.delayMs);
    this.delayedFrames.add(timer);
    return true;
  }

  /** Holds a frame until `releaseAtMs` behind the frames already held for the peer: one timer per peer, first in first out. */
  private delayInOrder(to: string, frame: OutboundFrame, releaseAtMs: number): void {
    let held = this.inOrderDelayed.get(to);
    if (held === undefined) this.inOrderDelayed.set(to, (held = []));
    held.push({ releaseAtMs, frame });
    if (held.length === 1) this.scheduleRelease(to, releaseAtMs);
  }

  private scheduleRelease(to: string, atMs: number): void {
    const timer = setTimeout(() => {
      this.delayedFrames.delete(timer);
      this.releaseHeld(to);
    }, Math.max(0, atMs - performance.now()));
    this.delayedFrames.add(timer);
  }

  private releaseHeld(to: string): void {
    const held = this.inOrderDelayed.get(to);
    if (held === undefined) return;
    const now = performance.now();
    while (held.length > 0 && held[0]!.releaseAtMs <= now) this.open.get(to)?.enqueue(held.shift()!.frame);
    if (held.length === 0) this.inOrderDelayed.delete(to);
    else this.scheduleRelease(to, held[0]!.releaseAtMs);
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.state !== 'running') {
      socket.terminate();
      return;
    }
    const address = normalizedAddress(request.socket.remoteAddress);
    const refusal = this.inboundHandshakes.refusal(address);
    if (refusal !== undefined) {
      this.statistics.handshakeFailures['too-many-pending']++;
      // Debug, not warn: a flood must not become a flood of log lines; the statistics count every drop.
      this.logger.debug({ remote: address, limit: refusal }, 'too many peer handshakes in progress; connection dropped');
      socket.on('error', () => {});
      socket.terminate();
      return;
    }
    const connection = PeerConnection.accept(this.host, socket, request);
    this.inboundHandshakes.add(connection, address);
    this.live.add(connection);
  }

  private admit(connection: PeerConnection): HandshakeRefusal | undefined {
    const peer = connection.peer;
    assert(peer !== undefined, 'a connection is admitted only after its peer is known');
    if (this.state !== 'running') return { ok: false, reason: 'closed', message: 'this validator is stopping' };
    if (this.isBanned(peer)) return { ok: false, reason: 'banned', message: `${peer} is banned` };
    this.inboundHandshakes.delete(connection);
    const older = this.open.get(peer);
    if (older !== undefined) {
      this.statistics.connectionsReplaced++;
      this.logger.info({ peer }, 'peer opened a newer connection; closing the older one');
      this.open.delete(peer);
      older.close(CLOSE_NORMAL, 'replaced by a newer connection');
      this.emitPeerDown(peer, 'replaced by a newer connection');
    }
    this.open.set(peer, connection);
    return undefined;
  }

  private opened(connection: PeerConnection): void {
    const peer = connection.peer;
    assert(peer !== undefined, 'an open connection knows its peer');
    this.statistics.connectionsOpened++;
    const dial = this.dialers.get(peer);
    if (dial !== undefined && dial.connection === connection) dial.failedAttempts = 0;
    this.logger.info({ peer, role: connection.role }, 'peer connected');
    for (const handler of [...this.peerUpHandlers]) handler(peer);
  }

  private received(connection: PeerConnection, channel: string, payload: JsonValue): void {
    const peer = connection.peer;
    assert(peer !== undefined, 'an open connection knows its peer');
    for (const handler of [...this.frameHandlers]) handler(peer, channel, payload);
  }

  private receivedBytes(connection: PeerConnection, channel: string, bytes: Uint8Array): void {
    const peer = connection.peer;
    assert(peer !== undefined, 'an open connection knows its peer');
    for (const handler of [...this.bytesHandlers]) handler(peer, channel, bytes);
  }

  private misbehaved(connection: PeerConnection, reason: string): void {
    const peer = connection.peer;
    assert(peer !== undefined, 'only authenticated peers are banned');
    if (!this.isBanned(peer)) {
      this.bannedUntilMs.set(peer, Date.now() + this.limits.banMs);
      this.statistics.bans++;
      this.logger.warn({ peer, reason, banMs: this.limits.banMs }, 'peer banned');
    }
    connection.close(CLOSE_POLICY_VIOLATION, `banned: ${reason}`);
  }

  private closed(connection: PeerConnection, outcome: ConnectionOutcome): void {
    this.live.delete(connection);
    this.inboundHandshakes.delete(connection);
    const peer = connection.peer;
    if (peer !== undefined && this.open.get(peer) === connection) {
      this.open.delete(peer);
      const reason = outcome.reason === '' ? `closed (${outcome.code})` : outcome.reason;
      this.logger.info({ peer, code: outcome.code, reason }, 'peer disconnected');
      this.emitPeerDown(peer, reason);
    }
    if (connection.role !== 'dialer' || peer === undefined) return;
    const dial = this.dialers.get(peer);
    if (dial === undefined || dial.connection !== connection) return;
    dial.connection = undefined;
    if (!outcome.reachedPeer) this.statistics.dialFailures++;
    if (!outcome.wasOpen) dial.failedAttempts++;
    this.scheduleDial(peer, dial);
  }

  private emitPeerDown(peer: string, reason: string): void {
    for (const handler of [...this.peerDownHandlers]) handler(peer, reason);
  }

  /** Starts dialers for peers this validator should dial and stops those it no longer should. */
  private reconcileDialers(): void {
    if (this.state !== 'running') return;
    const self = this.options.self.id;
    const wanted = new Map<string, string>();
    for (const { id, address } of this.peers) {
      if (dialsTo(self, id) && this.validatorSet.get(id) !== undefined) wanted.set(id, address);
    }
    for (const [peer, dial] of this.dialers) {
      if (wanted.has(peer)) continue;
      if (dial.timer !== undefined) clearTimeout(dial.timer);
      this.dialers.delete(peer);
      dial.connection?.close(CLOSE_POLICY_VIOLATION, 'no longer dialed');
    }
    for (const [peer, address] of wanted) {
      const existing = this.dialers.get(peer);
      if (existing !== undefined) {
        existing.address = address;
        continue;
      }
      const dial: DialState = { address, failedAttempts: 0, dialed: false, timer: undefined, connection: undefined };
      this.dialers.set(peer, dial);
      this.dial(peer, dial);
    }
    for (const validator of this.validatorSet.validators) {
      if (dialsTo(self, validator.id) && !wanted.has(validator.id)) {
        this.logger.warn({ peer: validator.id }, 'no address for a validator this node must dial');
      }
    }
  }

  private scheduleDial(peer: string, dial: DialState): void {
    if (this.state !== 'running' || dial.timer !== undefined) return;
    let delayMs = reconnectDelayMs(dial.failedAttempts, this.limits.reconnectBaseMs, this.limits.reconnectMaxMs, this.random);
    const bannedUntil = this.bannedUntilMs.get(peer);
    if (bannedUntil !== undefined) delayMs = Math.max(delayMs, bannedUntil - Date.now());
    dial.timer = setTimeout(() => {
      dial.timer = undefined;
      this.dial(peer, dial);
    }, delayMs);
  }

  private dial(peer: string, dial: DialState): void {
    if (this.state !== 'running' || this.dialers.get(peer) !== dial || dial.connection !== undefined || this.open.has(peer)) return;
    if (this.isBanned(peer)) {
      this.scheduleDial(peer, dial);
      return;
    }
    if (dial.dialed) this.statistics.reconnects++;
    dial.dialed = true;
    const { tls } = this.options;
    const scheme = tls === undefined ? 'ws' : 'wss';
    const clientOptions: ClientOptions = tls === undefined ? {} : { ca: tls.ca, minVersion: 'TLSv1.3', rejectUnauthorized: true };
    this.logger.debug({ peer, address: dial.address }, 'dialing peer');
    const connection = PeerConnection.dial(this.host, peer, `${scheme}://${dial.address}${PEER_ENDPOINT_PATH}`, clientOptions);
    dial.connection = connection;
    this.live.add(connection);
  }
}

function subscribe<T>(handlers: Set<T>, handler: T): () => void {
  handlers.add(handler);
  return () => {
    handlers.delete(handler);
  };
}

/** Anything but a WebSocket upgrade on the peer port. */
function refusePlainRequest(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(426, { 'content-type': 'text/plain', connection: 'close', upgrade: 'websocket' });
  response.end('this port speaks the Custodia peer protocol over WebSocket\n');
}

function checkPeers(peers: readonly PeerAddress[], self: string): readonly PeerAddress[] {
  const seen = new Set<string>();
  for (const peer of peers) {
    assert(PEER_ADDRESS_PATTERN.test(peer.address), `peer ${peer.id}: address ${JSON.stringify(peer.address)} is not host:port`);
    assert(!seen.has(peer.id), `peer ${peer.id} is listed twice`);
    seen.add(peer.id);
  }
  return peers.filter((peer) => peer.id !== self);
}
