/**
 * Frames exchanged after the handshake: one WebSocket text message (RFC 6455 section 5.6) holding
 * the JSON text {"channel": name, "payload": value}. Peer input is untrusted, so it is parsed with
 * the strict parser (duplicate keys, lone surrogates and oversized input refused) under explicit
 * limits and its shape checked with zod; every way it can be wrong is a value, never an exception.
 */
import { z } from 'zod';
import { assert } from '../../ledger/assert.js';
import { CANONICAL_DEPTH_MAX, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { DEFAULT_STRICT_JSON_LIMITS, parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { describeZodError } from '../../ledger/model/zod-errors.js';

export const CHANNEL_NAME_PATTERN = /^[a-z][a-z0-9.-]{0,63}$/;

export const MALFORMED_FRAME_REASONS = [
  /** A binary message (opcode 0x2): the protocol only uses text. */
  'binary',
  /** Larger than the frame or channel limit. */
  'too-large',
  'invalid-json',
  /** Valid JSON but not {channel, payload}. */
  'bad-shape',
  /** A channel this node does not serve. */
  'unknown-channel',
  /** ws closed the connection for breaking RFC 6455 (invalid UTF-8, bad opcode, a frame over maxPayload). */
  'protocol-violation',
] as const;
export type MalformedFrameReason = (typeof MALFORMED_FRAME_REASONS)[number];

export interface ChannelLimits {
  /** Largest frame on this channel, envelope included; at most the transport's frameBytesMax. */
  frameBytesMax: number;
}

export interface FrameRules {
  frameBytesMax: number;
  /** When given, frames on any other channel are malformed, and each channel has its own size limit. */
  channels?: Readonly<Record<string, ChannelLimits>> | undefined;
}

const envelopeSchema = z.strictObject({
  channel: z.string().regex(CHANNEL_NAME_PATTERN, 'expected a channel name: a-z, then up to 63 of a-z 0-9 . -'),
  // The strict parser only ever yields JSON values, so presence is all that is left to check;
  // walking a 20 MiB payload again with z.json() would only cost time.
  payload: z.custom<JsonValue>((value) => value !== undefined, 'expected a payload'),
});

export type ParsedFrame =
  | { ok: true; channel: string; payload: JsonValue }
  | { ok: false; reason: MalformedFrameReason; message: string };

function malformed(reason: MalformedFrameReason, message: string): ParsedFrame {
  return { ok: false, reason, message };
}

export function parseFrame(data: Uint8Array, isBinary: boolean, rules: FrameRules): ParsedFrame {
  if (isBinary) return malformed('binary', 'binary frames are not part of the protocol');
  if (data.byteLength > rules.frameBytesMax) return malformed('too-large', `frame of ${data.byteLength} bytes exceeds ${rules.frameBytesMax}`);
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const parsed = parseStrictJson(text, {
    bytesMax: rules.frameBytesMax,
    depthMax: CANONICAL_DEPTH_MAX,
    stringLengthMax: rules.frameBytesMax,
    arrayLengthMax: DEFAULT_STRICT_JSON_LIMITS.arrayLengthMax,
    objectKeysMax: DEFAULT_STRICT_JSON_LIMITS.objectKeysMax,
  });
  if (!parsed.ok) {
    return malformed(parsed.error.code === 'too-large' ? 'too-large' : 'invalid-json', parsed.error.message);
  }
  const envelope = envelopeSchema.safeParse(parsed.value);
  if (!envelope.success) return malformed('bad-shape', describeZodError(envelope.error).message);
  const { channel, payload } = envelope.data;
  if (rules.channels !== undefined) {
    const channelLimits = Object.hasOwn(rules.channels, channel) ? rules.channels[channel] : undefined;
    if (channelLimits === undefined) return malformed('unknown-channel', `no channel ${channel}`);
    if (data.byteLength > channelLimits.frameBytesMax) {
      return malformed('too-large', `frame of ${data.byteLength} bytes exceeds ${channelLimits.frameBytesMax} on channel ${channel}`);
    }
  }
  return { ok: true, channel, payload };
}

/**
 * Encodes once, so a broadcast hands the same bytes to every peer. JSON.stringify is used for
 * speed; callers pass JSON values (finite numbers, well-formed strings), which it writes exactly.
 */
export function encodeFrame(channel: string, payload: JsonValue): Buffer {
  assert(CHANNEL_NAME_PATTERN.test(channel), `invalid channel name ${JSON.stringify(channel)}`);
  return Buffer.from(JSON.stringify({ channel, payload }), 'utf8');
}

/** The size limit that applies to outbound frames on a channel. */
export function frameLimitFor(channel: string, rules: FrameRules): number {
  const channelLimits = rules.channels !== undefined && Object.hasOwn(rules.channels, channel) ? rules.channels[channel] : undefined;
  return Math.min(rules.frameBytesMax, channelLimits?.frameBytesMax ?? rules.frameBytesMax);
}
