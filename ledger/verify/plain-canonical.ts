/**
 * RFC 8785 canonical text of plain JSON data through the engine's native JSON.stringify, for the
 * write sets every append and every `custodia verify` serialises (block-checks.ts): the same text
 * as canonicalize() (ledger/encoding/canonical-json.ts), or the same CanonicalJsonError, always.
 *
 * Why they agree: RFC 8785 section 3.2.2.2 escapes strings as ECMAScript's JSON.stringify does and
 * section 3.2.2.3 writes numbers as Number.prototype.toString does, which is what JSON.stringify
 * writes for a finite number; the RFC is JSON.stringify with members sorted (section 3.2.3). So
 * JSON.stringify's text is the canonical text when every object's own keys already come in
 * UTF-16 code unit order (the engine may put integer-like names first: then they are not, and
 * this falls back) and when the value is data canonicalize() accepts. What JSON.stringify would
 * alter, drop or hand to a method rather than refuse (a non-finite number, an undefined member or
 * element, a class instance, a toJSON method, a nesting deeper than CANONICAL_DEPTH_MAX, a cycle)
 * is looked for in one walk, and a lone surrogate shows in the text as a `\ud…` escape, which a
 * well-formed string never gets. On any of these, or on any doubt, canonicalize() itself
 * serialises the value, so its text or its refusal is the answer, word for word.
 */
import { CANONICAL_DEPTH_MAX, canonicalize } from '../encoding/canonical-json.js';

/** canonicalize(value), by JSON.stringify when the value is plain data with its members in order. */
export function canonicalizePlain(value: unknown): string {
  if (value === null) return 'null';
  if (isPlainInOrder(value, 0)) {
    const text = JSON.stringify(value);
    // JSON.stringify escapes a lone surrogate as \udXXX; a well-formed string's surrogates stay
    // raw, so a `\ud` here is a lone one (or an escaped backslash before "ud": a needless fallback).
    if (!text.includes('\\ud')) return text;
  }
  return canonicalize(value);
}

/**
 * Whether JSON.stringify would write `value` as canonicalize() does, strings aside: finite
 * numbers, plain objects whose keys are in UTF-16 code unit order with no undefined member,
 * arrays with no hole or undefined, no deeper than canonicalize() allows (which also bounds a cycle).
 */
function isPlainInOrder(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth + 1 > CANONICAL_DEPTH_MAX) return false;
      // JSON.stringify writes what a toJSON method returns (own or inherited, arrays too); canonicalize ignores it or refuses.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      if (Array.isArray(value)) {
        // A hole reads as undefined, and JSON.stringify would write null for it.
        for (let index = 0; index < value.length; index++) {
          const element: unknown = value[index];
          if (element === undefined || !isPlainInOrder(element, depth + 1)) return false;
        }
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const record = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key in record) {
        // for-in walks own enumerable keys in Object.keys order first; a plain object's prototype adds none.
        if (!Object.hasOwn(record, key)) return false;
        if (previous !== undefined && !(previous < key)) return false;
        const member = record[key];
        if (member === undefined || typeof member === 'function' || !isPlainInOrder(member, depth + 1)) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}
