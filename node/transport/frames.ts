/**
 * Frames exchanged after the handshake (docs/encoding.md, section 13), of two kinds:
 *
 * - text: one WebSocket text message (RFC 6455 section 5.6) holding the JSON text
 *   {"channel": name, "payload": value}, parsed with the strict parser (duplicate keys, lone
 *   surrogates and oversized input refused) under explicit limits and its shape checked with zod;
 * - binary: one WebSocket binary message, for channels that carry bytes (the consensus channel):
 *
 *     offset 0      1 byte   frame format, BINARY_FRAME_FORMAT (1)
 *     offset 1      1 byte   L, the channel name's length, 1..CHANNEL_NAME_BYTES_MAX
 *     offset 2      L bytes  the channel name, ASCII, matching CHANNEL_NAME_PATTERN
 *     offset 2 + L  the rest the body: bytes the channel's owner decodes (never copied here)
 *
 * A channel carries one kind only: a transport serves the channels named in `binaryChannels`
 * with binary frames and every other with text frames, and a frame of the other kind is
 * malformed ('wrong-kind'). Peer input is untrusted, so every way a frame can be wrong is a
 * value, never an exception.
 */
import { z } from 'zod';
import { assert } from '../../ledger/assert.js';
import { CANONICAL_DEPTH_MAX, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { DEFAULT_STRICT_JSON_LIMITS, parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { describeZodError } from '../../ledger/model/zod-errors.js';

export const CHANNEL_NAME_PATTERN = /^[a-z][a-z0-9.-]{0,63}$/;
/** The longest channel name CHANNEL_NAME_PATTERN admits, in bytes (it is ASCII). */
export const CHANNEL_NAME_BYTES_MAX = 64;
/** The first byte of every binary frame: format 1. */
export const BINARY_FRAME_FORMAT = 0x01;
/** Format byte and name length. */
const BINARY_FRAME_FIXED_BYTES = 2;

export const MALFORMED_FRAME_REASONS = [
  /** A binary message to a transport that serves no binary channel. */
  'binary',
  /** A binary message whose header is not a well-formed format-1 header (truncated, another format, a bad channel name). */
  'bad-header',
  /** A text message on a binary channel, or a binary message on a text channel. */
  'wrong-kind',
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
  /** Largest frame on this channel in bytes, envelope or header included; at most the transport's frameBytesMax. */
  frameBytesMax: number;
}

export interface FrameRules {
  /** Largest frame in bytes, envelope or header included. */
  frameBytesMax: number;
  /** When given, frames on any other channel are malformed, and each channel has its own size limit. */
  channels?: Readonly<Record<string, ChannelLimits>> | undefined;
  /** Channels that carry binary frames (and only those); every other channel carries text frames. */
  binaryChannels?: ReadonlySet<string> | undefined;
}

const envelopeSchema = z.strictObject({
  channel: z.string().regex(CHANNEL_NAME_PATTERN, 'expected a channel name: a-z, then up to 63 of a-z 0-9 . -'),
  // The strict parser only ever yields JSON values, so presence is all that is left to check;
  // walking a 20 MiB payload again with z.json() would only cost time.
  payload: z.custom<JsonValue>((value) => value !== undefined, 'expected a payload'),
});

export type MalformedFrame = { ok: false; reason: MalformedFrameReason; message: string };
export type TextFrame = { ok: true; channel: string; payload: JsonValue };
/** `bytes` is a view of the received message: the channel's owner reads it and must not change it. */
export type BinaryFrame = { ok: true; channel: string; bytes: Uint8Array };
export type ParsedFrame = TextFrame | BinaryFrame | MalformedFrame;

function malformed(reason: MalformedFrameReason, message: string): MalformedFrame {
  return { ok: false, reason, message };
}

export function parseFrame(data: Uint8Array, isBinary: boolean, rules: FrameRules): ParsedFrame {
  if (isBinary && (rules.binaryChannels === undefined || rules.binaryChannels.size === 0)) return malformed('binary', 'this node serves no binary channel');
  if (data.byteLength > rules.frameBytesMax) return malformed('too-large', `frame of ${data.byteLength} bytes exceeds ${rules.frameBytesMax}`);
  return isBinary ? parseBinaryFrame(data, rules) : parseTextFrame(data, rules);
}

function parseTextFrame(data: Uint8Array, rules: FrameRules): TextFrame | MalformedFrame {
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
  const refusal = channelRefusal(channel, data.byteLength, false, rules);
  return refusal ?? { ok: true, channel, payload };
}

function parseBinaryFrame(data: Uint8Array, rules: FrameRules): BinaryFrame | MalformedFrame {
  if (data.byteLength < BINARY_FRAME_FIXED_BYTES) return malformed('bad-header', `binary frame of ${data.byteLength} bytes has no header`);
  if (data[0] !== BINARY_FRAME_FORMAT) return malformed('bad-header', `binary frame format ${data[0]}; only ${BINARY_FRAME_FORMAT} is known`);
  const nameBytes = data[1]!;
  if (nameBytes < 1 || nameBytes > CHANNEL_NAME_BYTES_MAX) return malformed('bad-header', `channel name of ${nameBytes} bytes; 1 to ${CHANNEL_NAME_BYTES_MAX} expected`);
  const bodyStart = BINARY_FRAME_FIXED_BYTES + nameBytes;
  if (bodyStart > data.byteLength) return malformed('bad-header', `truncated: the channel name needs ${nameBytes} bytes, ${data.byteLength - BINARY_FRAME_FIXED_BYTES} follow`);
  // latin1 maps each byte to one character, so a non-ASCII byte cannot hide behind a decoder's replacement.
  const channel = Buffer.from(data.buffer, data.byteOffset + BINARY_FRAME_FIXED_BYTES, nameBytes).toString('latin1');
  if (!CHANNEL_NAME_PATTERN.test(channel)) return malformed('bad-header', 'expected a channel name: a-z, then up to 63 of a-z 0-9 . -');
  const refusal = channelRefusal(channel, data.byteLength, true, rules);
  // A plain Uint8Array view, not a Buffer: Buffer's slice() shares memory where Uint8Array's copies.
  return refusal ?? { ok: true, channel, bytes: new Uint8Array(data.buffer, data.byteOffset + bodyStart, data.byteLength - bodyStart) };
}

/** Whether a frame of `bytes` bytes and this kind may arrive on `channel`. */
function channelRefusal(channel: string, bytes: number, isBinary: boolean, rules: FrameRules): MalformedFrame | undefined {
  if (rules.channels !== undefined) {
    const channelLimits = Object.hasOwn(rules.channels, channel) ? rules.channels[channel] : undefined;
    if (channelLimits === undefined) return malformed('unknown-channel', `no channel ${channel}`);
    if (bytes > channelLimits.frameBytesMax) return malformed('too-large', `frame of ${bytes} bytes exceeds ${channelLimits.frameBytesMax} on channel ${channel}`);
  }
  if (isBinaryChannel(channel, rules) !== isBinary) return malformed('wrong-kind', `channel ${channel} carries ${isBinary ? 'text' : 'binary'} frames`);
  return undefined;
}

export function isBinaryChannel(channel: string, rules: FrameRules): boolean {
  return rules.binaryChannels?.has(channel) === true;
}

/**
 * Encodes once, so a broadcast hands the same bytes to every peer. JSON.stringify is used for
 * speed; callers pass JSON values (finite numbers, well-formed strings), which it writes exactly.
 */
export function encodeFrame(channel: string, payload: JsonValue): Buffer {
  assert(CHANNEL_NAME_PATTERN.test(channel), `invalid channel name ${JSON.stringify(channel)}`);
  return Buffer.from(JSON.stringify({ channel, payload }), 'utf8');
}

/** A binary frame's body: one byte string, or pieces written one after another (each copied once, into the frame). */
export type FrameBody = Uint8Array | readonly Uint8Array[];

/** The size in bytes of the binary frame encodeBinaryFrame would make, without making it. */
export function binaryFrameBytes(channel: string, body: FrameBody): number {
  const parts = body instanceof Uint8Array ? [body] : body;
  return parts.reduce((sum, part) => sum + part.byteLength, BINARY_FRAME_FIXED_BYTES + channel.length);
}

/** A binary frame: the header, then the body's pieces, in one buffer (encoded once, so a broadcast shares it). */
export function encodeBinaryFrame(channel: string, body: FrameBody): Buffer {
  assert(CHANNEL_NAME_PATTERN.test(channel), `invalid channel name ${JSON.stringify(channel)}`);
  const frame = Buffer.allocUnsafe(binaryFrameBytes(channel, body));
  frame[0] = BINARY_FRAME_FORMAT;
  frame[1] = channel.length;
  let offset = BINARY_FRAME_FIXED_BYTES + frame.write(channel, BINARY_FRAME_FIXED_BYTES, 'latin1');
  for (const part of body instanceof Uint8Array ? [body] : body) {
    frame.set(part, offset);
    offset += part.byteLength;
  }
  return frame;
}

/** A frame ready to be written: its bytes, and whether they go out as a binary or a text message. */
export interface OutboundFrame {
  readonly data: Buffer;
  readonly binary: boolean;
  readonly byteLength: number;
}

export function outboundFrame(data: Buffer, binary: boolean): OutboundFrame {
  return { data, binary, byteLength: data.byteLength };
}

/** The size limit that applies to outbound frames on a channel. */
export function frameLimitFor(channel: string, rules: FrameRules): number {
  const channelLimits = rules.channels !== undefined && Object.hasOwn(rules.channels, channel) ? rules.channels[channel] : undefined;
  return Math.min(rules.frameBytesMax, channelLimits?.frameBytesMax ?? rules.frameBytesMax);
}
