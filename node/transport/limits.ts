/**
 * Limits of the validator-to-validator transport, each named with its unit. They bound what one
 * peer, honest or not, can make this process hold in memory or spend time on.
 */
import { assert } from '../../ledger/assert.js';

const MEBIBYTE = 1024 * 1024;

export interface TransportLimits {
  /**
   * Largest frame (one WebSocket message, envelope included), also the ws `maxPayload`, so ws
   * closes the connection (status 1009, RFC 6455 section 7.4.1) before buffering more. The default
   * fits a proposal carrying a 16 MiB block body as base64 (21.4 MiB) with its header and certificate.
   */
  frameBytesMax: number;
  /** Time a connection gets to finish the challenge-response handshake before it is closed. */
  handshakeTimeoutMs: number;
  /**
   * Connections still in the handshake at once from addresses that are not a configured peer's;
   * more are closed at once (floods of unauthenticated sockets).
   */
  pendingHandshakesMax: number;
  /**
   * Connections still in the handshake at once from any one address that is not a configured
   * peer's, so that one flooding address cannot take all of pendingHandshakesMax.
   */
  pendingHandshakesPerAddressMax: number;
  /**
   * Handshakes in progress reserved for each configured peer, counted per address the peers
   * dial from (a configured peer's host): connections from elsewhere never take them, so a flood
   * from other addresses cannot keep a validator from its peers.
   */
  reservedHandshakesPerPeer: number;
  /** Sustained frames per second accepted from one peer (ping frames count too). */
  messagesPerSecondPerPeer: number;
  /** Frames one peer may send in a burst above the sustained rate. */
  messagesBurstPerPeer: number;
  /** Sustained bytes per second accepted from one peer. */
  bytesPerSecondPerPeer: number;
  /** Bytes one peer may send in a burst; at least frameBytesMax, or the largest frame could never pass. */
  bytesBurstPerPeer: number;
  /** Frames dropped for exceeding the rate on one connection before the peer is banned. */
  rateLimitedFramesBeforeBan: number;
  /** Malformed frames on one connection before the peer is banned. */
  malformedFramesBeforeBan: number;
  /** How long a banned peer is disconnected and its reconnects refused. */
  banMs: number;
  /** Frames waiting to be written to one peer; beyond it the oldest are dropped. */
  outboundQueueFramesMax: number;
  /** Bytes waiting to be written to one peer; beyond it the oldest frames are dropped. */
  outboundQueueBytesMax: number;
  /** Bytes handed to the socket but not yet written, per peer, before the queue holds frames back. */
  socketBufferBytesMax: number;
  /** First reconnect delay; doubles on each failed attempt. */
  reconnectBaseMs: number;
  /** Ceiling of the reconnect delay. */
  reconnectMaxMs: number;
  /** Interval of keepalive pings; a peer that has not answered the previous ping is dropped. */
  pingIntervalMs: number;
  /** Time a closing socket gets for the WebSocket closing handshake before it is destroyed. */
  closeGraceMs: number;
}

export const DEFAULT_TRANSPORT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  frameBytesMax: 24 * MEBIBYTE,
  handshakeTimeoutMs: 5_000,
  pendingHandshakesMax: 16,
  pendingHandshakesPerAddressMax: 4,
  reservedHandshakesPerPeer: 2,
  messagesPerSecondPerPeer: 10_000,
  messagesBurstPerPeer: 20_000,
  bytesPerSecondPerPeer: 64 * MEBIBYTE,
  bytesBurstPerPeer: 64 * MEBIBYTE,
  rateLimitedFramesBeforeBan: 1_000,
  malformedFramesBeforeBan: 10,
  banMs: 60_000,
  outboundQueueFramesMax: 10_000,
  outboundQueueBytesMax: 96 * MEBIBYTE,
  socketBufferBytesMax: 4 * MEBIBYTE,
  reconnectBaseMs: 100,
  reconnectMaxMs: 10_000,
  pingIntervalMs: 5_000,
  closeGraceMs: 1_000,
});

/** Limits come from code and validated configuration, never from a peer: a bad one is a bug. */
export function resolveTransportLimits(overrides: Partial<TransportLimits> | undefined): TransportLimits {
  const limits: TransportLimits = { ...DEFAULT_TRANSPORT_LIMITS };
  for (const name of Object.keys(limits) as (keyof TransportLimits)[]) {
    const override = overrides?.[name];
    if (override !== undefined) limits[name] = override;
    assert(Number.isSafeInteger(limits[name]) && limits[name] > 0, `transport limit ${name} must be a positive integer`);
  }
  assert(limits.bytesBurstPerPeer >= limits.frameBytesMax, 'transport limit bytesBurstPerPeer must be at least frameBytesMax');
  assert(limits.outboundQueueBytesMax >= limits.frameBytesMax, 'transport limit outboundQueueBytesMax must be at least frameBytesMax');
  assert(limits.reconnectMaxMs >= limits.reconnectBaseMs, 'transport limit reconnectMaxMs must be at least reconnectBaseMs');
  return limits;
}
