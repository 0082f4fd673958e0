import { describe, expect, it } from 'vitest';
import { encodeFrame, frameLimitFor, parseFrame, type FrameRules } from '../../../node/transport/frames.js';

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
