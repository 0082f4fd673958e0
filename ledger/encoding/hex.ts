/**
 * Lowercase hexadecimal, the one text form of bytes in every Custodia structure
 * (hashes, keys, signatures). Upper case or odd lengths are refused so that each byte
 * string has exactly one JSON spelling.
 */

const HEX_DIGITS = '0123456789abcdef';
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;
/** The two digits' char codes of every byte value: byte b's at 2b and 2b + 1. */
const DIGIT_CODES = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  DIGIT_CODES[2 * byte] = HEX_DIGITS.charCodeAt(byte >> 4);
  DIGIT_CODES[2 * byte + 1] = HEX_DIGITS.charCodeAt(byte & 15);
}
/** Bytes converted per String.fromCharCode call, whose arguments the engine passes on the stack. */
const BYTES_PER_CALL = 4096;

/**
 * The bytes as one flat string. Appending digit pairs one by one (`+=`) made a rope in V8: a
 * hash's 64 digits were some 60 linked pieces, and a Set or Map that kept such an id held them
 * all, about 3.3 KB a key instead of 171 bytes (docs/performance.md, "Hex strings as ropes").
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += BYTES_PER_CALL) {
    const end = Math.min(bytes.length, start + BYTES_PER_CALL);
    const codes = new Array<number>(2 * (end - start));
    for (let index = start, at = 0; index < end; index++, at += 2) {
      const digits = 2 * bytes[index]!;
      codes[at] = DIGIT_CODES[digits]!;
      codes[at + 1] = DIGIT_CODES[digits + 1]!;
    }
    out += String.fromCharCode.apply(null, codes);
  }
  return out;
}

export function isHex(text: string, byteLength?: number): boolean {
  if (byteLength !== undefined && text.length !== byteLength * 2) return false;
  return HEX_PATTERN.test(text);
}

/** Decodes lowercase hex; throws on anything else (callers validate untrusted input first). */
export function fromHex(text: string): Uint8Array {
  if (!HEX_PATTERN.test(text)) throw new TypeError('expected lowercase hex with an even number of digits');
  const out = new Uint8Array(text.length / 2);
  // The pattern admitted only 0-9 and a-f: each digit's value from its char code, no substring per byte.
  for (let i = 0; i < out.length; i++) out[i] = (digitValue(text.charCodeAt(2 * i)) << 4) | digitValue(text.charCodeAt(2 * i + 1));
  return out;
}

/** A lowercase hex digit's value from its char code ('0'-'9' are 48-57, 'a'-'f' 97-102). */
function digitValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const utf8Encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
