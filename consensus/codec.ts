/**
 * The wire form of consensus messages (docs/consensus.md, "Wire format"): JSON with the payload
 * as base64, parsed with zod so that a peer's malformed message becomes a refusal value, never
 * an exception. Shapes only: signatures and certificates are checked by consensus/verify.ts.
 */
import { z } from 'zod';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { blockHeaderSchema } from '../ledger/model/block.js';
import { quorumCertificateSchema, voteDataSchema } from '../ledger/model/certificate.js';
import { hashHex, identifier, nonNegativeInteger, positiveInteger, signatureHex } from '../ledger/model/primitives.js';
import { describeZodError } from '../ledger/model/zod-errors.js';
import { LEDGER_LIMITS } from '../ledger/limits.js';
import type { BlockRecord, CommittedBlock, ConsensusMessage, ProposedBlock } from './messages.js';

/** Base64 of at most 16 MiB of payload (the core applies its own, possibly lower, limit). */
const PAYLOAD_BASE64_LENGTH_MAX = Math.ceil((16 * 1024 * 1024) / 3) * 4;
const BLOCKS_PER_MESSAGE_MAX = 1024;

const payloadSchema = z
  .string()
  .max(PAYLOAD_BASE64_LENGTH_MAX)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const blockSchema = z.strictObject({ header: blockHeaderSchema, payload: payloadSchema });
const parentCertificateSchema = quorumCertificateSchema.nullable();
const timeoutCertificateSchema = z.strictObject({
  round: positiveInteger,
  highQc: parentCertificateSchema,
  signatures: z
    .array(z.strictObject({ validator: identifier, highQcRound: nonNegativeInteger, signature: signatureHex }))
    .min(1)
    .max(LEDGER_LIMITS.validatorsMax),
});
const blockRecordSchema = z.strictObject({ block: blockSchema, justify: parentCertificateSchema });

const messageSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('proposal'),
    block: blockSchema,
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
  z.strictObject({ kind: z.literal('sync-info'), highQc: parentCertificateSchema, highTc: timeoutCertificateSchema.nullable() }),
  z.strictObject({ kind: z.literal('block-request'), requestId: nonNegativeInteger, blockHash: hashHex, count: positiveInteger.max(BLOCKS_PER_MESSAGE_MAX) }),
  z.strictObject({
    kind: z.literal('block-response'),
    requestId: nonNegativeInteger,
    blocks: z.array(blockRecordSchema).max(BLOCKS_PER_MESSAGE_MAX),
    committedHeight: nonNegativeInteger,
  }),
  z.strictObject({ kind: z.literal('committed-request'), fromHeight: positiveInteger, count: positiveInteger.max(BLOCKS_PER_MESSAGE_MAX) }),
  z.strictObject({
    kind: z.literal('committed-response'),
    blocks: z.array(z.strictObject({ block: blockSchema, certificate: quorumCertificateSchema })).max(BLOCKS_PER_MESSAGE_MAX),
  }),
]);

function encodeBlock(block: ProposedBlock): { header: JsonValue; payload: string } {
  return { header: block.header as unknown as JsonValue, payload: Buffer.from(block.payload).toString('base64') };
}

function decodeBlock(block: { header: ProposedBlock['header']; payload: string }): ProposedBlock {
  const bytes = Buffer.from(block.payload, 'base64');
  return { header: block.header, payload: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * The sender's validator-set epoch rides beside the message as `epoch` (absent for epoch 0): it
 * is not signed, and only tells a receiver whether to catch up; signatures carry the epoch in
 * their domain tag, so a false label gains nothing.
 */
export function encodeMessage(message: ConsensusMessage, epoch = 0): JsonValue {
  const encoded = encodeBody(message) as Record<string, JsonValue>;
  return epoch === 0 ? encoded : { ...encoded, epoch };
}

function encodeBody(message: ConsensusMessage): JsonValue {
  switch (message.kind) {
    case 'proposal':
      return { ...message, block: encodeBlock(message.block) } as unknown as JsonValue;
    case 'block-response':
      return { ...message, blocks: message.blocks.map((record) => ({ ...record, block: encodeBlock(record.block) })) } as unknown as JsonValue;
    case 'committed-response':
      return { ...message, blocks: message.blocks.map((record) => ({ ...record, block: encodeBlock(record.block) })) } as unknown as JsonValue;
    default:
      return message as unknown as JsonValue;
  }
}

export type DecodeResult = { ok: true; message: ConsensusMessage; epoch: number } | { ok: false; reason: string };

const epochSchema = nonNegativeInteger;

export function decodeMessage(json: unknown): DecodeResult {
  let body = json;
  let epoch = 0;
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'epoch' in json) {
    const { epoch: label, ...rest } = json as Record<string, unknown>;
    const parsedEpoch = epochSchema.safeParse(label);
    if (!parsedEpoch.success || parsedEpoch.data === 0) return { ok: false, reason: 'epoch: expected a positive integer (absent for epoch 0)' };
    epoch = parsedEpoch.data;
    body = rest;
  }
  const decoded = decodeBody(body);
  return decoded.ok ? { ...decoded, epoch } : decoded;
}

function decodeBody(json: unknown): { ok: true; message: ConsensusMessage } | { ok: false; reason: string } {
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error).message };
  const message = parsed.data;
  switch (message.kind) {
    case 'proposal':
      return { ok: true, message: { ...message, block: decodeBlock(message.block) } };
    case 'block-response':
      return { ok: true, message: { ...message, blocks: message.blocks.map((record): BlockRecord => ({ ...record, block: decodeBlock(record.block) })) } };
    case 'committed-response':
      return {
        ok: true,
        message: { ...message, blocks: message.blocks.map((record): CommittedBlock => ({ ...record, block: decodeBlock(record.block) })) },
      };
    default:
      return { ok: true, message };
  }
}
