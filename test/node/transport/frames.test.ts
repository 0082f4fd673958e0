/**
 * Transport frames (node/transport/frames.ts; docs/encoding.md section 13): text frames, and the
 * binary frames of binary channels (a format byte, the channel name, then raw bytes). Round
 * trips, and every malformation (truncated headers, other formats, bad names, wrong kinds,
 * oversized frames, fuzz) is a refusal value with a reason, never an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_FRAME_FORMAT,
  binaryFrameBytes,
  CHANNEL_NAME_BYTES_MAX,
  encodeBinaryFrame,
  encodeFrame,
  frameLimitFor,
  MALFORMED_FRAME_REASONS,
  parseFrame,
  type FrameRules,
} from '../../../node/transport/frames.js';

const FUZZ_SEED = Number(process.env['CUSTODIA_FUZZ_SEED'] ?? 20_261_203);
const FUZZ_RUNS = Number(process.env['CUSTODIA_FUZZ_RUNS'] ?? 300);

const rules: FrameRules = { frameBytesMax: 1024 };
const text = (value: string) => Buffer.from(value, 'utf8');

describe('frames', () => {
  it('round-trips a frame', () => {
    const payload = { kind: 'vote', round: 3, signers: ['a', 'b'], nested: { ok: true, none: null } };
    expect(parseFrame(encodeFrame('consensus', payload), false, rules)).toEqual({ ok: true, channel: 'consensus', payload });
  });

  const malformed: Array<[string, Buffer, boolean, string]> = [
    ['binary frames', text('{"channel":"consensus","payload":1}'), true, 'binary'],
    ['invalid JSON', text('{"channel":"consensus",'), false, 'invalid-json'],
    ['duplicate keys', text('{"channel":"consensus","channel":"mempool","payload":1}'), false, 'invalid-json'],
    ['escaped lone surrogates', text('{"channel":"consensus","payload":"\\ud800"}'), false, 'invalid-json'],
    ['a missing payload', text('{"channel":"consensus"}'), false, 'bad-shape'],
    ['extra members', text('{"channel":"consensus","payload":1,"x":2}'), false, 'bad-shape'],
    ['a bad channel name', text('{"channel":"Consensus!","payload":1}'), false, 'bad-shape'],
    ['a top-level array', text('["consensus",1]'), false, 'bad-shape'],
    ['frames over the limit', text(`{"channel":"consensus","payload":"${'x'.repeat(1024)}"}`), false, 'too-large'],
    ['nesting deeper than canonical JSON allows', text(`{"channel":"consensus","payload":${'['.repeat(80)}${']'.repeat(80)}}`), false, 'invalid-json'],
  ];
  it.each(malformed)('refuses %s', (_name, data, isBinary, reason) => {
    expect(parseFrame(data, isBinary, rules)).toMatchObject({ ok: false, reason });
  });

  it('applies per-channel limits and refuses unknown channels when channels are listed', () => {
    const channelRules: FrameRules = { frameBytesMax: 1024, channels: { consensus: { frameBytesMax: 1024 }, mempool: { frameBytesMax: 64 } } };
    expect(parseFrame(encodeFrame('mempool', 'x'.repeat(100)), false, channelRules)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(parseFrame(encodeFrame('consensus', 'x'.repeat(100)), false, channelRules).ok).toBe(true);
    expect(parseFrame(encodeFrame('gossip', 1), false, channelRules)).toMatchObject({ ok: false, reason: 'unknown-channel' });
    expect(parseFrame(encodeFrame('constructor', 1), false, channelRules)).toMatchObject({ ok: false, reason: 'unknown-channel' });
    expect(frameLimitFor('mempool', channelRules)).toBe(64);
    expect(frameLimitFor('gossip', channelRules)).toBe(1024);
  });

  it('refuses to encode an invalid channel name, which only a bug would produce', () => {
    expect(() => encodeFrame('Not A Channel', 1)).toThrow(/invalid channel name/);
  });
});

describe('binary frames', () => {
  const binaryRules: FrameRules = { frameBytesMax: 1024, binaryChannels: new Set(['consensus']) };
  const listedRules: FrameRules = { frameBytesMax: 1024, channels: { consensus: { frameBytesMax: 256 }, tx: { frameBytesMax: 1024 } }, binaryChannels: new Set(['consensus']) };
  const body = new Uint8Array([0, 1, 2, 0xff, 0x7b]);
  const header = (name: string, format = BINARY_FRAME_FORMAT) => Buffer.concat([Buffer.from([format, name.length]), Buffer.from(name, 'latin1')]);

  it('round-trips a body, handing back a view of the frame', () => {
    const frame = encodeBinaryFrame('consensus', body);
    expect([...frame.subarray(0, 11)]).toEqual([BINARY_FRAME_FORMAT, 9, ...Buffer.from('consensus')]);
    const parsed = parseFrame(frame, true, binaryRules);
    expect(parsed).toEqual({ ok: true, channel: 'consensus', bytes: body });
    expect(parsed.ok && 'bytes' in parsed && parsed.bytes.buffer).toBe(frame.buffer);
  });

  it('writes a body given in pieces one after another, and knows its size beforehand', () => {
    const pieces = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
    const frame = encodeBinaryFrame('consensus', pieces);
    expect(frame.byteLength).toBe(binaryFrameBytes('consensus', pieces));
    expect(parseFrame(frame, true, binaryRules)).toEqual({ ok: true, channel: 'consensus', bytes: new Uint8Array([1, 2, 3]) });
    expect(parseFrame(encodeBinaryFrame('consensus', []), true, binaryRules)).toEqual({ ok: true, channel: 'consensus', bytes: new Uint8Array(0) });
    const longest = 'c'.repeat(CHANNEL_NAME_BYTES_MAX);
    expect(parseFrame(encodeBinaryFrame(longest, body), true, { frameBytesMax: 1024, binaryChannels: new Set([longest]) })).toMatchObject({ ok: true, channel: longest });
  });

  const malformed: Array<[string, Buffer, boolean, FrameRules, string]> = [
    ['a binary frame where no channel is binary', encodeBinaryFrame('consensus', body), true, rules, 'binary'],
    ['an empty binary frame', Buffer.alloc(0), true, binaryRules, 'bad-header'],
    ['a lone format byte', Buffer.from([BINARY_FRAME_FORMAT]), true, binaryRules, 'bad-header'],
    ['another format', Buffer.concat([header('consensus', 2), body]), true, binaryRules, 'bad-header'],
    ['format 0', Buffer.concat([header('consensus', 0), body]), true, binaryRules, 'bad-header'],
    ['a text frame\'s bytes sent as binary', text('{"channel":"consensus","payload":1}'), true, binaryRules, 'bad-header'],
    ['an empty channel name', Buffer.from([BINARY_FRAME_FORMAT, 0, 1, 2]), true, binaryRules, 'bad-header'],
    ['a channel name over 64 bytes', Buffer.concat([Buffer.from([BINARY_FRAME_FORMAT, 65]), Buffer.alloc(70, 0x61)]), true, binaryRules, 'bad-header'],
    ['a channel name cut short', header('consensus').subarray(0, 6), true, binaryRules, 'bad-header'],
    ['a channel name with upper case', Buffer.concat([header('Consensus'), body]), true, binaryRules, 'bad-header'],
    ['a channel name with a byte past ASCII', Buffer.concat([header('consensu\u00e9'), body]), true, binaryRules, 'bad-header'],
    ['a channel name with a zero byte', Buffer.concat([header('consensus\u0000'), body]), true, binaryRules, 'bad-header'],
    ['a binary frame on a text channel', encodeBinaryFrame('mempool', body), true, binaryRules, 'wrong-kind'],
    ['a text frame on a binary channel', encodeFrame('consensus', 1), false, binaryRules, 'wrong-kind'],
    ['a binary frame on an unlisted channel', encodeBinaryFrame('gossip', body), true, listedRules, 'unknown-channel'],
    ['a binary frame on a listed text channel', encodeBinaryFrame('tx', body), true, listedRules, 'wrong-kind'],
    ['a binary frame over the frame limit', encodeBinaryFrame('consensus', new Uint8Array(1024)), true, binaryRules, 'too-large'],
    ['a binary frame over its channel\'s limit', encodeBinaryFrame('consensus', new Uint8Array(250)), true, listedRules, 'too-large'],
  ];
  it.each(malformed)('refuses %s', (_name, data, isBinary, frameRules, reason) => {
    const parsed = parseFrame(data, isBinary, frameRules);
    expect(parsed).toMatchObject({ ok: false, reason });
    expect(!parsed.ok && parsed.message.length).toBeGreaterThan(0);
  });

  it('refuses every truncation of a header', () => {
    const frame = encodeBinaryFrame('consensus', body);
    for (let length = 0; length < 11; length++) expect(parseFrame(frame.subarray(0, length), true, binaryRules)).toMatchObject({ ok: false, reason: 'bad-header' });
  });

  it('never throws on arbitrary bytes of either kind, and names a known reason for each refusal', () => {
    const known = new Set<string>(MALFORMED_FRAME_REASONS);
    const check = (data: Uint8Array, isBinary: boolean, frameRules: FrameRules) => {
      const parsed = parseFrame(data, isBinary, frameRules);
      if (!parsed.ok) expect(known.has(parsed.reason)).toBe(true);
      else if ('bytes' in parsed) expect(binaryFrameBytes(parsed.channel, parsed.bytes)).toBe(data.byteLength);
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.boolean(), fc.constantFrom(rules, binaryRules, listedRules), check),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
    // Bytes behind a well-formed start of a header, so that the name checks see them.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.uint8Array({ maxLength: 100 }), fc.constantFrom(binaryRules, listedRules), (nameLength, rest, frameRules) =>
        check(Buffer.concat([Buffer.from([BINARY_FRAME_FORMAT, nameLength]), rest]), true, frameRules),
      ),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
  });

  it('refuses to encode an invalid channel name, which only a bug would produce', () => {
    expect(() => encodeBinaryFrame('Not A Channel', body)).toThrow(/invalid channel name/);
  });
});
