/**
 * Standard base64 (RFC 4648 section 4, with padding), the byte encoding of the C2SP
 * transparency-log formats (signed notes, checkpoints, witness requests). Written without
 * Buffer so that the browser's verifier bundles it unchanged. Decoding is strict: only the
 * alphabet, padding exactly where RFC 4648 puts it and zero unused bits, so that every byte
 * string has one spelling and a signature line cannot be re-spelt.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map([...ALPHABET].map((character, index) => [character, index]));
const CANONICAL_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let index = 0; index < bytes.length; index += 3) {
    const first = bytes[index]!;
    const second = bytes[index + 1];
    const third = bytes[index + 2];
    out += ALPHABET[first >> 2]!;
    out += ALPHABET[((first & 3) << 4) | ((second ?? 0) >> 4)]!;
    out += second === undefined ? '=' : ALPHABET[((second & 15) << 2) | ((third ?? 0) >> 6)]!;
    out += third === undefined ? '=' : ALPHABET[third & 63]!;
  }
  return out;
}

/** The bytes, or undefined for anything that is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!CANONICAL_PATTERN.test(text)) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let written = 0;
  for (let index = 0; index < text.length; index += 4) {
    const values = [0, 1, 2, 3].map((offset) => VALUES.get(text[index + offset]!) ?? 0);
    const triple = (values[0]! << 18) | (values[1]! << 12) | (values[2]! << 6) | values[3]!;
    for (const [shift, position] of [[16, 0], [8, 1], [0, 2]] as const) {
      if (written < out.length && index / 4 * 3 + position < out.length) out[written++] = (triple >> shift) & 255;
    }
  }
  // Unused bits must be zero, or two spellings would decode to the same bytes.
  return toBase64(out) === text ? out : undefined;
}
