/**
 * The consensus wire codec (consensus/codec.ts; docs/consensus.md "Wire format", docs/encoding.md
 * section 13): the binary form validators send round-trips every message kind with its payloads
 * raw, agrees with the JSON form field for field, and turns every malformation of a peer's bytes
 * (truncation, oversized or inconsistent lengths, another format, trailing bytes, bad UTF-8 or
 * JSON, wrong kinds, arbitrary fuzz) into a refusal value with a reason, never an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_MESSAGE_FORMAT,
  BINARY_MESSAGE_PREFIX_BYTES,
  decodeMessage,
  decodeMessageBytes,
  encodeMessage,
  encodeMessageBytes,
  encodeMessageParts,
  PAYLOAD_BYTES_MAX,
  STRUCTURE_BYTES_MAX,
  type DecodeResult,
} from '../../consensus/codec.js';
import type { ConsensusMessage, ProposedBlock } from '../../consensus/messages.js';
import type { BlockHeader } from '../../ledger/model/block.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';

const FUZZ_SEED = Number(process.env['CUSTODIA_FUZZ_SEED'] ?? 20_261_203);
const FUZZ_RUNS = Number(process.env['CUSTODIA_FUZZ_RUNS'] ?? 300);

function header(height: number, overrides: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chainId: 'custodia-test',
    height,
    round: height + 2,
    prevHash: 'a1'.repeat(32),
    proposer: `validator-${height % 4}`,
    timestamp: 1_767_225_600_000 + height,
    txCount: 2,
    txRoot: 'b2'.repeat(32),
    ledgerHeight: height - 1,
    logSize: 10 * height,
    logRoot: 'c3'.repeat(32),
    stateRoot: 'd4'.repeat(32),
    ...overrides,
  };
}

function certificate(height: number): QuorumCertificate {
  return {
    vote: { blockHash: 'e5'.repeat(32), height, round: height + 2 },
    signatures: [0, 1, 2].map((index) => ({ validator: `validator-${index}`, signature: `${index}f`.repeat(64) })),
  };
}

const bytesOf = (...values: number[]) => new Uint8Array(values);
const block = (height: number, payload: Uint8Array, overrides: Partial<BlockHeader> = {}): ProposedBlock => ({ header: header(height, overrides), payload });
const timeoutCertificate = { round: 6, highQc: certificate(3), signatures: [0, 1, 2].map((index) => ({ validator: `validator-${index}`, highQcRound: 5, signature: 'ab'.repeat(64) })) };

/** One of every kind, with payloads of several sizes (empty, a reference payload, JSON text). */
const MESSAGES: ConsensusMessage[] = [
  { kind: 'proposal', block: block(5, bytesOf(0, ...new Array(128).fill(7))), justify: certificate(4), timeoutCertificate, signature: '12'.repeat(64) },
  { kind: 'proposal', block: block(1, new Uint8Array(0), { txCount: 0 }), justify: null, timeoutCertificate: null, signature: '34'.repeat(64) },
  {
    kind: 'proposal',
    block: block(9, bytesOf(1, 2), { nextValidators: [{ id: 'validator-9', publicKey: '56'.repeat(32) }] }),
    justify: certificate(8),
    timeoutCertificate: null,
    signature: '56'.repeat(64),
  },
  { kind: 'vote', vote: certificate(5).vote, validator: 'validator-1', signature: '78'.repeat(64) },
  { kind: 'timeout', round: 7, highQc: certificate(5), validator: 'validator-2', signature: '9a'.repeat(64), highTc: timeoutCertificate },
  { kind: 'timeout', round: 1, highQc: null, validator: 'validator-3', signature: 'bc'.repeat(64), highTc: null },
  { kind: 'sync-info', highQc: certificate(5), highTc: null },
  { kind: 'sync-info', highQc: certificate(5), highTc: null, request: true },
  { kind: 'sync-info', highQc: null, highTc: null },
  { kind: 'block-request', requestId: 3, blockHash: 'de'.repeat(32), count: 64 },
  {
    kind: 'block-response',
    requestId: 3,
    blocks: [
      { block: block(3, new TextEncoder().encode('[{"a":1}]')), justify: certificate(2) },
      { block: block(2, new Uint8Array(0)), justify: certificate(1) },
      { block: block(1, bytesOf(0, 255, 254)), justify: null },
    ],
    committedHeight: 1,
  },
  { kind: 'block-response', requestId: 4, blocks: [], committedHeight: 0 },
  { kind: 'committed-request', fromHeight: 1, count: 64 },
  {
    kind: 'committed-response',
    blocks: [
      { block: block(1, new TextEncoder().encode('[]')), certificate: certificate(1) },
      { block: block(2, new Uint8Array(3000).fill(0x41)), certificate: certificate(2) },
    ],
  },
  { kind: 'committed-response', blocks: [] },
];

function expectRefused(result: DecodeResult, reason?: RegExp): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason.length).toBeGreaterThan(0);
  if (reason !== undefined) expect(result.reason).toMatch(reason);
}

/** The prefix and structured part of an encoding, and the bytes after them. */
function split(bytes: Uint8Array): { structure: string; rest: Uint8Array } {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return {
    structure: Buffer.from(bytes.subarray(BINARY_MESSAGE_PREFIX_BYTES, BINARY_MESSAGE_PREFIX_BYTES + length)).toString('utf8'),
    rest: bytes.subarray(BINARY_MESSAGE_PREFIX_BYTES + length),
  };
}

/** A binary message made by hand: the prefix with `structureLength` (the text's by default), the text, then `rest`. */
function assemble(structure: string | Uint8Array, rest: Uint8Array = new Uint8Array(0), options: { format?: number; structureLength?: number } = {}): Uint8Array {
  const text = typeof structure === 'string' ? new TextEncoder().encode(structure) : structure;
  const bytes = new Uint8Array(BINARY_MESSAGE_PREFIX_BYTES + text.byteLength + rest.byteLength);
  bytes[0] = options.format ?? BINARY_MESSAGE_FORMAT;
  new DataView(bytes.buffer).setUint32(1, options.structureLength ?? text.byteLength);
  bytes.set(text, BINARY_MESSAGE_PREFIX_BYTES);
  bytes.set(rest, BINARY_MESSAGE_PREFIX_BYTES + text.byteLength);
  return bytes;
}

const proposalMessage = MESSAGES[0] as Extract<ConsensusMessage, { kind: 'proposal' }>;
const proposalBytes = encodeMessageBytes(proposalMessage);

describe('the binary form', () => {
  it.each(MESSAGES.map((message, index) => [`${index}: ${message.kind}`, message] as const))('round-trips %s, epoch label included', (_name, message) => {
    for (const epoch of [0, 1, 7, Number.MAX_SAFE_INTEGER]) {
      const bytes = encodeMessageBytes(message, epoch);
      expect(decodeMessageBytes(bytes)).toEqual({ ok: true, message, epoch });
    }
  });

  it('agrees with the JSON form, whose structure it carries with each payload replaced by its length', () => {
    for (const message of MESSAGES) {
      const viaJson = decodeMessage(JSON.parse(JSON.stringify(encodeMessage(message, 3))));
      expect(decodeMessageBytes(encodeMessageBytes(message, 3))).toEqual(viaJson);
    }
    const { structure, rest } = split(proposalBytes);
    expect(JSON.parse(structure)).toEqual({ ...encodeMessage(proposalMessage) as object, block: { header: proposalMessage.block.header, payload: proposalMessage.block.payload.length } });
    expect([...rest]).toEqual([...proposalMessage.block.payload]);
  });

  it('carries payloads raw, after the structure, in message order; the parts concatenate to the bytes', () => {
    const response = MESSAGES.find((message) => message.kind === 'block-response')!;
    const parts = encodeMessageParts(response);
    expect(parts.slice(1)).toEqual(response.kind === 'block-response' ? response.blocks.map((record) => record.block.payload) : []);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(encodeMessageBytes(response)));
    expect(parts[0]![0]).toBe(BINARY_MESSAGE_FORMAT);
  });

  it('decodes payloads as views of the received bytes, not copies', () => {
    const decoded = decodeMessageBytes(proposalBytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.message.kind !== 'proposal') return;
    expect(decoded.message.block.payload.buffer).toBe(proposalBytes.buffer);
  });

  it('round-trips a payload of a mebibyte and random messages of random payloads', () => {
    const large = new Uint8Array(1024 * 1024).map((_, index) => (index * 31) & 0xff);
    const message: ConsensusMessage = { ...proposalMessage, block: block(5, large) };
    const decoded = decodeMessageBytes(encodeMessageBytes(message, 2));
    expect(decoded.ok && decoded.message.kind === 'proposal' && Buffer.from(decoded.message.block.payload).equals(large)).toBe(true);
    expect(decoded).toMatchObject({ ok: true, epoch: 2, message: { ...message, block: { header: message.block.header } } });
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.nat(1000), (payloads, epoch) => {
        const committed: ConsensusMessage = { kind: 'committed-response', blocks: payloads.map((payload, index) => ({ block: block(index + 1, payload), certificate: certificate(index + 1) })) };
        expect(decodeMessageBytes(encodeMessageBytes(committed, epoch))).toEqual({ ok: true, message: committed, epoch });
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
  });
});

describe('a malformed binary message is refused with a reason', () => {
  const { structure, rest } = split(proposalBytes);
  const vote = JSON.stringify(encodeMessage(MESSAGES[3]!));
  const withPayload = (payload: unknown) => JSON.stringify({ ...JSON.parse(structure), block: { ...JSON.parse(structure).block, payload } });
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['no bytes at all', new Uint8Array(0), /truncated/],
    ['a prefix cut short', proposalBytes.subarray(0, 4), /truncated/],
    ['another format', assemble(structure, rest, { format: 2 }), /format/],
    ['format 0', assemble(structure, rest, { format: 0 }), /format/],
    ['a structure length past the end', assemble(structure, rest, { structureLength: structure.length + rest.length + 1 }), /truncated/],
    ['a structure length over the limit', assemble(structure, rest, { structureLength: STRUCTURE_BYTES_MAX + 1 }), /exceeds/],
    ['the largest structure length', assemble(structure, rest, { structureLength: 0xffff_ffff }), /exceeds/],
    ['a structure length that cuts the JSON short', assemble(structure, rest, { structureLength: structure.length - 1 }), /structure/],
    ['an empty structure', assemble(''), /structure/],
    ['a structure that is not UTF-8', assemble(new Uint8Array([0x7b, 0xff, 0x7d])), /UTF-8/],
    ['an overlong UTF-8 encoding', assemble(new Uint8Array([0x22, 0xc0, 0xaf, 0x22])), /UTF-8/],
    ['a byte order mark', assemble(`\ufeff${vote}`), /structure/],
    ['a structure that is not JSON', assemble('{"kind":'), /structure/],
    ['duplicate member names', assemble(vote.replace('{', '{"kind":"vote",')), /structure/],
    ['an escaped lone surrogate', assemble(vote.replace('"validator-1"', '"\\ud800"')), /structure/],
    ['a prototype member', assemble(vote.replace('{', '{"__proto__":{},')), /structure/],
    ['nesting deeper than any message', assemble(`${'['.repeat(40)}${']'.repeat(40)}`), /structure/],
    ['a top-level array', assemble(`[${vote}]`), /./],
    ['an unknown kind', assemble(vote.replace('"vote"', '"ballot"')), /./],
    ['a member the kind does not have', assemble(vote.replace('{', '{"extra":1,')), /./],
    ['a missing member', assemble(JSON.stringify({ kind: 'vote', vote: certificate(5).vote, validator: 'validator-1' })), /signature/],
    ['upper-case hex', assemble(vote.replace('7878', '7A78')), /signature/],
    ['epoch 0 written out', assemble(vote.replace('{', '{"epoch":0,')), /epoch/],
    ['a negative epoch', assemble(vote.replace('{', '{"epoch":-1,')), /epoch/],
    ['a payload as base64, the JSON form', assemble(withPayload(Buffer.from(rest).toString('base64'))), /payload/],
    ['a negative payload length', assemble(withPayload(-1), rest), /payload/],
    ['a fractional payload length', assemble(withPayload(1.5), rest), /payload/],
    ['a payload length over the limit', assemble(withPayload(PAYLOAD_BYTES_MAX + 1), rest), /payload/],
    ['a payload length past the end', assemble(withPayload(rest.length + 1), rest), /truncated/],
    ['a payload cut short', proposalBytes.subarray(0, proposalBytes.length - 1), /truncated/],
    ['a payload length short of the end', assemble(withPayload(rest.length - 1), rest), /trailing/],
    ['a byte after the payload', Buffer.concat([proposalBytes, bytesOf(0)]), /trailing/],
    ['bytes after a message without payloads', assemble(vote, bytesOf(1, 2, 3)), /trailing/],
    ['a block request for more blocks than a message may hold', assemble(JSON.stringify({ kind: 'block-request', requestId: 1, blockHash: 'de'.repeat(32), count: 1025 })), /count/],
    ['a vote with a round past 2^53', assemble(vote.replace('"round":7', '"round":9007199254740993')), /round/],
  ];
  it.each(cases)('%s', (_name, bytes, reason) => {
    expectRefused(decodeMessageBytes(bytes), reason);
  });

  it('when any prefix of a valid encoding is all there is', () => {
    for (const message of MESSAGES) {
      const bytes = encodeMessageBytes(message, 4);
      for (let length = 0; length < bytes.length; length += length < 64 ? 1 : 97) expectRefused(decodeMessageBytes(bytes.subarray(0, length)));
    }
  });

  it('when the structure length is off by a little either way', () => {
    for (const delta of [-8, -2, -1, 1, 2, 8]) {
      expectRefused(decodeMessageBytes(assemble(structure, rest, { structureLength: structure.length + delta })));
    }
  });
});

describe('fuzzing the decoder', () => {
  const decodesToARefusalOrAMessage = (bytes: Uint8Array) => {
    const result = decodeMessageBytes(bytes);
    if (result.ok) {
      // Whatever is accepted is a message the encoder reproduces exactly as it decodes.
      expect(decodeMessageBytes(encodeMessageBytes(result.message, result.epoch))).toEqual(result);
    } else {
      expect(typeof result.reason).toBe('string');
    }
  };

  it('never throws on arbitrary bytes, nor on arbitrary bytes behind a valid prefix', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), decodesToARefusalOrAMessage), { seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(0xffff_ffff), (tail, length) => {
        const bytes = new Uint8Array(BINARY_MESSAGE_PREFIX_BYTES + tail.length);
        bytes[0] = BINARY_MESSAGE_FORMAT;
        new DataView(bytes.buffer).setUint32(1, length % (tail.length + 2));
        bytes.set(tail, BINARY_MESSAGE_PREFIX_BYTES);
        decodesToARefusalOrAMessage(bytes);
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
  });

  it('never throws on valid encodings with bytes changed, inserted or removed', () => {
    const encodings = MESSAGES.map((message) => encodeMessageBytes(message, 2));
    const mutation = fc.record({
      which: fc.nat(encodings.length - 1),
      at: fc.nat(),
      edit: fc.oneof(fc.record({ set: fc.integer({ min: 0, max: 255 }) }), fc.record({ insert: fc.uint8Array({ minLength: 1, maxLength: 8 }) }), fc.record({ remove: fc.integer({ min: 1, max: 8 }) })),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let bytes = Buffer.from(encodings[mutations[0]!.which]!);
        for (const { at, edit } of mutations) {
          const position = at % (bytes.length + 1);
          if ('set' in edit && position < bytes.length) bytes[position] = edit.set;
          if ('insert' in edit) bytes = Buffer.concat([bytes.subarray(0, position), edit.insert, bytes.subarray(position)]);
          if ('remove' in edit) bytes = Buffer.concat([bytes.subarray(0, position), bytes.subarray(position + edit.remove)]);
        }
        decodesToARefusalOrAMessage(bytes);
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS * 3 },
    );
  });

  it('never throws on structures of arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 }), (value, rest) => decodesToARefusalOrAMessage(assemble(JSON.stringify(value) ?? 'null', rest))),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
  });
});

describe('the JSON form (the simulator\'s)', () => {
  it('still refuses what it refused, with a reason', () => {
    for (const garbage of [null, 42, 'x', {}, { kind: 'vote' }, { kind: 'proposal', block: { header: header(1), payload: '***' } }, { kind: 'sync-info', highQc: null, highTc: null, epoch: 0 }]) {
      expectRefused(decodeMessage(garbage));
    }
  });
});
