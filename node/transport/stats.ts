/**
 * Counters of the transport, for metrics and tests. Every refusal and every dropped frame is
 * counted by reason, so an operator can tell a misconfigured peer from an abusive one.
 */
import { MALFORMED_FRAME_REASONS, type MalformedFrameReason } from './frames.js';
import { HANDSHAKE_FAILURE_REASONS, type HandshakeFailureReason } from './handshake.js';

export const SEND_REFUSAL_REASONS = ['not-connected', 'too-large'] as const;
export type SendRefusalReason = (typeof SEND_REFUSAL_REASONS)[number];

export interface TransportStatistics {
  /** Frames delivered to the frame handlers. */
  framesIn: number;
  /** Frames handed to sockets. */
  framesOut: number;
  /** Bytes of every message received after handshakes, delivered or not. */
  bytesIn: number;
  bytesOut: number;
  malformed: Record<MalformedFrameReason, number>;
  /** Frames dropped because the sending peer exceeded its rate. */
  rateLimited: number;
  bans: number;
  handshakeFailures: Record<HandshakeFailureReason, number>;
  /** Connections whose handshake completed. */
  connectionsOpened: number;
  /** Open connections closed because the same peer completed a newer handshake. */
  connectionsReplaced: number;
  /** Redials after the first dial to a peer. */
  reconnects: number;
  /** Dials that never reached the peer's handshake (refused, unreachable, TLS failure). */
  dialFailures: number;
  /** Inbound TLS handshakes that failed (plain clients, untrusted certificates). */
  tlsFailures: number;
  /** Frames dropped from full outbound queues, oldest first. */
  queueDrops: number;
  sendRefused: Record<SendRefusalReason, number>;
  faultDrops: { outbound: number; inbound: number };
  faultDelays: number;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

export function emptyStatistics(): TransportStatistics {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    malformed: zeroes(MALFORMED_FRAME_REASONS),
    rateLimited: 0,
    bans: 0,
    handshakeFailures: zeroes(HANDSHAKE_FAILURE_REASONS),
    connectionsOpened: 0,
    connectionsReplaced: 0,
    reconnects: 0,
    dialFailures: 0,
    tlsFailures: 0,
    queueDrops: 0,
    sendRefused: zeroes(SEND_REFUSAL_REASONS),
    faultDrops: { outbound: 0, inbound: 0 },
    faultDelays: 0,
  };
}

export function copyStatistics(statistics: TransportStatistics): TransportStatistics {
  return {
    ...statistics,
    malformed: { ...statistics.malformed },
    handshakeFailures: { ...statistics.handshakeFailures },
    sendRefused: { ...statistics.sendRefused },
    faultDrops: { ...statistics.faultDrops },
  };
}
