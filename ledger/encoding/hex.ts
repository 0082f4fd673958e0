/**
 * Lowercase hexadecimal, the one text form of bytes in every Custodia structure
 * (hashes, keys, signatures). Upper case or odd lengths are refused so that each byte
 * string has exactly one JSON spelling.
 */

const HEX_DIGITS = '0123456789abcdef';
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
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
