/** The validator-to-validator transport: WebSockets (RFC 6455), a validator-key handshake, limits and fault hooks. */
export { PeerTransport, PEER_ENDPOINT_PATH } from './transport.js';
export type { BytesHandler, ConnectionSummary, FrameHandler, PeerAddress, PeerDownHandler, PeerTransportOptions, PeerUpHandler, TransportTls } from './transport.js';
export { DEFAULT_TRANSPORT_LIMITS, resolveTransportLimits, type TransportLimits } from './limits.js';
export { TransportFaults, type OutboundDecision } from './faults.js';
export { cryptoRandom, seededRandom, type RandomSource } from './random.js';
export { SILENT_LOGGER, type TransportLogger } from './logger.js';
export { BINARY_FRAME_FORMAT, CHANNEL_NAME_PATTERN, MALFORMED_FRAME_REASONS, type ChannelLimits, type FrameBody, type MalformedFrameReason } from './frames.js';
export { HANDSHAKE_FAILURE_REASONS, dialsTo, type HandshakeFailureReason } from './handshake.js';
export type { TransportStatistics } from './stats.js';
