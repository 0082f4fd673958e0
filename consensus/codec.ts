/**
 * The wire form of consensus messages (docs/consensus.md, "Wire format"; docs/encoding.md,
 * section 13). Shapes only: signatures and certificates are checked by consensus/verifier.ts.
 *
 * - The binary form, what validators send (one WebSocket binary frame on the consensus channel,
 *   node/transport/frames.ts): a format byte, the length of the structured part, the structured
 *   part as JSON text, then the block payloads' bytes, raw. The structured part is the JSON form
 *   below with each block's payload replaced by its length in bytes; it is parsed with the strict
 *   parser under tight limits and checked by the same zod schemas as the JSON form, so the binary
 *   form refuses everything the JSON form refuses. Payloads are never base64-encoded, scanned by
 *   a regular expression or copied: a decoded payload is a view of the received frame.
 * - The JSON form (payloads as base64), which the simulator (tools/sim) and its traces use.
 *
 * Every way a peer's bytes can be wrong is a refusal value with a reason, never an exception.
 */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../ledger/encoding/strict-json.js';
import { blockHeaderSchema } from '../ledger/model/block.js';
import { quorumCertificateSchema, voteDataSchema } from '../ledger/model/certificate.js';
import { hashHex, identifier, nonNegativeInteger, positiveInteger, signatureHex } from '../ledger/model/primitives.js';
import { describeZodError } from '../ledger/model/zod-errors.js';
import { LEDGER_LIMITS } from '../ledger/limits.js';
import type { BlockRecord, CommittedBlock, ConsensusMessage, ProposedBlock } from './messages.js';

/** Bytes of one block payload on the wire, in either form (the core applies its own, possibly lower, limit). */
export const PAYLOAD_BYTES_MAX = 16 * 1024 * 1024;
/** Base64 of at most PAYLOAD_BYTES_MAX bytes (the JSON form). */
const PAYLOAD_BASE64_LENGTH_MAX = Math.ceil(PAYLOAD_BYTES_MAX / 3) * 4;
const BLOCKS_PER_MESSAGE_MAX = 1024;

/** The first byte of the binary form: format 1. Any other value is refused. */
export const BINARY_MESSAGE_FORMAT = 0x01;
/** Format byte and the 32-bit big-endian length of the structured part. */
export const BINARY_MESSAGE_PREFIX_BYTES = 5;
/**
 * Bytes of the structured part (headers, certificates, signatures, payload lengths) of one
 * message: the 24 MiB transport frame (node/transport/limits.ts) bounds the whole message anyway.
 */
export const STRUCTURE_BYTES_MAX = 24 * 1024 * 1024;
/**
 * Strict-parser limits for the structured part: the longest string in it is an identifier (256
 * characters), the deepest nesting a committed block's next validator (7 levels), the longest
 * array a response's blocks, the most members a block header's 13.
 */
const STRUCTURE_JSON_LIMITS = {
  bytesMax: STRUCTURE_BYTES_MAX,
  depthMax: 16,
  stringLengthMax: 1024,
  arrayLengthMax: BLOCKS_PER_MESSAGE_MAX,
  objectKeysMax: 32,
} as const;

const base64PayloadSchema = z
  .string()
  .max(PAYLOAD_BASE64_LENGTH_MAX)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
/** In the binary form's structured part a payload is its length; the bytes follow the structure. */
const payloadLengthSchema = nonNegativeInteger.max(PAYLOAD_BYTES_MAX);

const parentCertificateSchema = quorumCertificateSchema.nullable();
const timeoutCertificateSchema = z.strictObject({
  round: positiveInteger,
  highQc: parentCertificateSchema,
  signatures: z
    .array(z.strictObject({ validator: identifier, highQcRound: nonNegativeInteger, signature: signatureHex }))
    .min(1)
    .max(LEDGER_LIMITS.validatorsMax),
});

/** The message schema, one per payload form, so that both forms check every other field alike. */
function messageSchemaWith<P extends z.ZodType>(payload: P) {
  const block = z.strictObject({ header: blockHeaderSchema, payload });
  return z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('proposal'),
      block,
      justify: parentCertificateSchema,
      timeoutCertificate: timeoutCertificateSchema.nullable(),
      signature: signatureHex,
    }),
    z.strictObject({ kind: z.literal('vote'), vote: voteDataSchema, validator: identifier, signature: signatureHex }),
    z.strictObject({
      kind: z.literal('timeout'),
      round: positiveInteger,
      highQc: parentCertificateSchema,
      validator: identifier,
      signature: signatureHex,
      highTc: timeoutCertificateSchema.nullable(),
    }),
    z.strictObject({ kind: z.literal('sync-info'), highQc: parentCertificateSchema, highTc: timeoutCertificateSchema.nullable(), request: z.literal(true).optional() }),
    z.strictObject({ kind: z.literal('block-request'), requestId: nonNegativeInteger, blockHash: hashHex, count: positiveInteger.max(BLOCKS_PER_MESSAGE_MAX) }),
    z.strictObject({
      kind: z.literal('block-response'),
      requestId: nonNegativeInteger,
      blocks: z.array(z.strictObject({ block, justify: parentCertificateSchema })).max(BLOCKS_PER_MESSAGE_MAX),
      committedHeight: nonNegativeInteger,
    }),
    z.strictObject({ kind: z.literal('committed-request'), fromHeight: positiveInteger, count: positiveInteger.max(BLOCKS_PER_MESSAGE_MAX) }),
    z.strictObject({
      kind: z.literal('committed-response'),
      blocks: z.array(z.strictObject({ block, certificate: quorumCertificateSchema })).max(BLOCKS_PER_MESSAGE_MAX),
    }),
  ]);
}

const jsonMessageSchema = messageSchemaWith(base64PayloadSchema);
const binaryMessageSchema = messageSchemaWith(payloadLengthSchema);

export type DecodeResult = { ok: true; message: ConsensusMessage; epoch: number } | { ok: false; reason: string };
type Refusal = { ok: false; reason: string };

const epochSchema = nonNegativeInteger;

/** The blocks a message carries payloads for, in wire order. */
function blocksOf(message: ConsensusMessage): ProposedBlock[] {
  switch (message.kind) {
    case 'proposal':
      return [message.block];
    case 'block-response':
    case 'committed-response':
      return message.blocks.map((record) => record.block);
    default:
      return [];
  }
}

/** The message with each block's payload replaced by `payload(block)`; other members are shared, not copied. */
function withPayloads(message: ConsensusMessage, payload: (block: ProposedBlock) => JsonValue): JsonValue {
  const block = (value: ProposedBlock) => ({ header: value.header, payload: payload(value) });
  switch (message.kind) {
    case 'proposal':
      return { ...message, block: block(message.block) } as unknown as JsonValue;
    case 'block-response':
      return { ...message, blocks: message.blocks.map((record) => ({ ...record, block: block(record.block) })) } as unknown as JsonValue;
    case 'committed-response':
      return { ...message, blocks: message.blocks.map((record) => ({ ...record, block: block(record.block) })) } as unknown as JsonValue;
    default:
      return message as unknown as JsonValue;
  }
}

/**
 * The sender's validator-set epoch rides beside the message as `epoch` (absent for epoch 0): it
 * is not signed, and only tells a receiver whether to catch up; signatures carry the epoch in
 * their domain tag, so a false label gains nothing.
 */
function labelled(body: JsonValue, epoch: number): JsonValue {
  return epoch === 0 ? body : { ...(body as Record<string, JsonValue>), epoch };
}

/** Splits the epoch label off a parsed message (both forms). */
function unlabel(json: unknown): { ok: true; body: unknown; epoch: number } | Refusal {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, 'epoch')) return { ok: true, body: json, epoch: 0 };
  const { epoch: label, ...body } = json as Record<string, unknown>;
  const parsedEpoch = epochSchema.safeParse(label);
  if (!parsedEpoch.success || parsedEpoch.data === 0) return { ok: false, reason: 'epoch: expected a positive integer (absent for epoch 0)' };
  return { ok: true, body, epoch: parsedEpoch.data };
}

type WireMessage = z.infer<typeof binaryMessageSchema> | z.infer<typeof jsonMessageSchema>;

/** The checked wire message with its payloads, in wire order, made by `payload` from their wire values. */
function rebuild(message: WireMessage, payload: (wire: number | string) => Uint8Array): ConsensusMessage {
  const block = (value: { header: ProposedBlock['header']; payload: number | string }): ProposedBlock => ({ header: value.header, payload: payload(value.payload) });
  switch (message.kind) {
    case 'proposal':
      return { ...message, block: block(message.block) };
    case 'block-response':
      return { ...message, blocks: message.blocks.map((record): BlockRecord => ({ ...record, block: block(record.block) })) };
    case 'committed-response':
      return { ...message, blocks: message.blocks.map((record): CommittedBlock => ({ ...record, block: block(record.block) })) };
    default:
      return message;
  }
}

// ---------------------------------------------------------------------------------------------
// The binary form.

/**
 * The binary form in pieces, so that the transport copies each payload once, into the frame:
 * the prefix with the structured part, then each payload (the message's own bytes, not copies).
 */
export function encodeMessageParts(message: ConsensusMessage, epoch = 0): Uint8Array[] {
  const text = JSON.stringify(labelled(withPayloads(message, (block) => block.payload.length), epoch));
  const structureBytes = Buffer.byteLength(text, 'utf8');
  // The prefix and the structure in one buffer: small messages (votes, timeouts) make one allocation.
  const head = Buffer.allocUnsafe(BINARY_MESSAGE_PREFIX_BYTES + structureBytes);
  head[0] = BINARY_MESSAGE_FORMAT;
  head.writeUInt32BE(structureBytes, 1);
  head.write(text, BINARY_MESSAGE_PREFIX_BYTES, 'utf8');
  return [head, ...blocksOf(message).map((block) => block.payload)];
}

/** The binary form as one byte string. */
export function encodeMessageBytes(message: ConsensusMessage, epoch = 0): Uint8Array {
  const parts = encodeMessageParts(message, epoch);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** Decodes the binary form; decoded payloads are views of `bytes`, which the caller must not change. */
export function decodeMessageBytes(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength < BINARY_MESSAGE_PREFIX_BYTES) return { ok: false, reason: `truncated: ${bytes.byteLength} bytes, shorter than the ${BINARY_MESSAGE_PREFIX_BYTES}-byte prefix` };
  if (bytes[0] !== BINARY_MESSAGE_FORMAT) return { ok: false, reason: `format: expected ${BINARY_MESSAGE_FORMAT}, found ${bytes[0]}` };
  const structureBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (structureBytes > STRUCTURE_BYTES_MAX) return { ok: false, reason: `structure of ${structureBytes} bytes exceeds ${STRUCTURE_BYTES_MAX}` };
  const structureEnd = BINARY_MESSAGE_PREFIX_BYTES + structureBytes;
  if (structureEnd > bytes.byteLength) return { ok: false, reason: `truncated: the structure needs ${structureBytes} bytes, ${bytes.byteLength - BINARY_MESSAGE_PREFIX_BYTES} follow the prefix` };
  const structure = bytes.subarray(BINARY_MESSAGE_PREFIX_BYTES, structureEnd);
  // Binary frames carry no UTF-8 guarantee (RFC 6455 only checks text frames), so check it here:
  // decoding would silently replace invalid bytes, and the text would not be what was sent.
  if (!isUtf8(structure)) return { ok: false, reason: 'structure: not UTF-8' };
  const parsed = parseStrictJson(Buffer.from(structure.buffer, structure.byteOffset, structure.byteLength).toString('utf8'), STRUCTURE_JSON_LIMITS);
  if (!parsed.ok) return { ok: false, reason: `structure: ${parsed.error.message}` };
  const split = unlabel(parsed.value);
  if (!split.ok) return split;
  const checked = binaryMessageSchema.safeParse(split.body);
  if (!checked.success) return { ok: false, reason: describeZodError(checked.error).message };
  // Each payload length was checked against PAYLOAD_BYTES_MAX; together they must fill the rest exactly.
  let offset = structureEnd;
  let fits = true;
  const message = rebuild(checked.data, (wire) => {
    const length = wire as number;
    const start = offset;
    offset += length;
    if (offset > bytes.byteLength) {
      fits = false;
      return EMPTY_PAYLOAD;
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
  });
  if (!fits) return { ok: false, reason: `truncated: the payloads need ${offset - structureEnd} bytes, ${bytes.byteLength - structureEnd} follow the structure` };
  if (offset !== bytes.byteLength) return { ok: false, reason: `trailing bytes: ${bytes.byteLength - offset} after the last payload` };
  return { ok: true, message, epoch: split.epoch };
}

const EMPTY_PAYLOAD = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// The JSON form.

/** The JSON form: payloads as base64, the epoch label beside the message (absent for epoch 0). */
export function encodeMessage(message: ConsensusMessage, epoch = 0): JsonValue {
  return labelled(withPayloads(message, (block) => Buffer.from(block.payload).toString('base64')), epoch);
}

export function decodeMessage(json: unknown): DecodeResult {
  const split = unlabel(json);
  if (!split.ok) return split;
  const parsed = jsonMessageSchema.safeParse(split.body);
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error).message };
  const message = rebuild(parsed.data, (base64) => {
    const bytes = Buffer.from(base64 as string, 'base64');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });
  return { ok: true, message, epoch: split.epoch };
}
