/**
 * Lowercase hex (ledger/encoding/hex.ts): fromHex reads every byte as Node's own hex decoder does,
 * round-trips with toHex, and refuses upper case, odd lengths and anything not a hex digit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../ledger/encoding/hex.js';

describe('hex', () => {
  it('decodes as Node does and round-trips with toHex', () => {
    const all = Uint8Array.from({ length: 256 }, (_, byte) => byte);
    expect(fromHex(toHex(all))).toEqual(all);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = Buffer.from(bytes).toString('hex');
        expect(fromHex(text)).toEqual(new Uint8Array(bytes));
        expect(toHex(fromHex(text))).toBe(text);
      }),
    );
  });

  it('refuses upper case, odd lengths and characters that are not hex digits', () => {
    for (const text of ['A0', 'a', '0g', 'zz', '0:', '/0', '`0', ' 00', '00\n']) expect(() => fromHex(text), text).toThrow(TypeError);
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });
});
