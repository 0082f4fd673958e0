/**
 * Canonical JSON per RFC 8785, the JSON Canonicalization Scheme (JCS).
 *
 * Transaction ids, block hashes and signatures are all computed over these bytes, so every
 * honest node must turn the same value into the same text, byte for byte:
 * - RFC 8785 section 3.1: only I-JSON data (RFC 7493): finite numbers, well-formed Unicode.
 * - section 3.2.1: no whitespace between tokens.
 * - section 3.2.2.2: strings escaped exactly as ECMAScript JSON.stringify escapes them.
 * - section 3.2.2.3: numbers written as ECMAScript Number.prototype.toString writes them.
 * - section 3.2.3: object members sorted by the UTF-16 code units of their names.
 * - section 3.2.4: the result is encoded as UTF-8.
 * A value with no single JSON spelling (NaN, a lone surrogate, a Date, a Map, a cycle) is
 * refused with a CanonicalJsonError naming where it sits, instead of being dropped or
 * coerced the way JSON.stringify would, because a silently altered value would be signed.
 */

import { utf8 } from './hex.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CanonicalJsonErrorCode = 'non-finite-number' | 'lone-surrogate' | 'unsupported-type' | 'cycle' | 'too-deep';

/** Nesting limit: a top-level array or object is at depth 1. Bounds recursion and hashing cost. */
export const CANONICAL_DEPTH_MAX = 64;

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
  readonly code: CanonicalJsonErrorCode;
  /** Where the refused value sits, e.g. `$.body.payload[3].x`. */
  readonly path: string;

  constructor(code: CanonicalJsonErrorCode, path: string, reason: string) {
    super(`cannot canonicalize JSON at ${path}: ${reason}`);
    this.code = code;
    this.path = path;
  }
}

export type JsonPathSegment = string | number;

const IDENTIFIER_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a JSON path the way error messages show it: `$`, then `.name` for member names that
 * read as identifiers, `["odd name"]` for any other name, and `[index]` for array elements.
 * Shared with strict-json.ts so that parse errors and canonicalization errors read alike.
 */
export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (IDENTIFIER_PATTERN.test(segment)) path += `.${segment}`;
    // JSON.stringify escapes lone surrogates, so even a refused key prints as readable text.
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/**
 * Thrown inside the walk and converted to a CanonicalJsonError at the top. It collects path
 * segments while unwinding, so the common, successful case pays nothing to track the path.
 * It is not an Error so that no stack trace is captured for a failure that is always caught.
 */
class Refusal {
  readonly innermostFirstSegments: JsonPathSegment[] = [];
  constructor(
    readonly code: CanonicalJsonErrorCode,
    readonly reason: string,
  ) {}
}

/**
 * Strings containing none of these are written between quotes as they are. The surrogate
 * range is included so that only strings that may hold a lone surrogate pay for the check.
 */
const NEEDS_ATTENTION_PATTERN = /["\\\u0000-\u001f\ud800-\udfff]/;
const LONE_SURROGATE_PATTERN = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** String.prototype.isWellFormed (ES2024) is native and fast, but this project's lib is ES2023. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

function isWellFormed(text: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(text) : !LONE_SURROGATE_PATTERN.test(text);
}

/** `role` only changes the wording of the refusal: member names and string values share the rules. */
function serializeString(text: string, role = 'string'): string {
  if (!NEEDS_ATTENTION_PATTERN.test(text)) return `"${text}"`;
  if (!isWellFormed(text)) throw new Refusal('lone-surrogate', `${role} contains a lone UTF-16 surrogate`);
  // For well-formed strings, ECMAScript's QuoteJSONString is word for word the escaping that
  // RFC 8785 section 3.2.2.2 prescribes (the RFC was written to match it), and it is native.
  return JSON.stringify(text);
}

function describeType(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object' || value === null) return typeof value;
  const prototype: unknown = Object.getPrototypeOf(value);
  const constructorName =
    typeof prototype === 'object' && prototype !== null ? (prototype as { constructor?: { name?: unknown } }).constructor?.name : undefined;
  return typeof constructorName === 'string' && constructorName !== '' ? `an instance of ${constructorName}` : 'an exotic object';
}

/** Only plain data has one JSON spelling; class instances would lose their meaning. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function serializeValue(value: unknown, depth: number, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal('non-finite-number', `number ${String(value)} is not finite`);
      // Number.prototype.toString is the serialization RFC 8785 section 3.2.2.3 adopts; it also writes -0 as 0.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, depth + 1, ancestors);
    default:
      throw new Refusal('unsupported-type', `${describeType(value)} has no JSON representation`);
  }
}

function serializeContainer(container: object, depth: number, ancestors: object[]): string {
  if (ancestors.includes(container)) throw new Refusal('cycle', 'value contains itself (a reference cycle)');
  if (depth > CANONICAL_DEPTH_MAX) throw new Refusal('too-deep', `nesting deeper than ${CANONICAL_DEPTH_MAX} levels`);
  if (Array.isArray(container)) return serializeArray(container as unknown[], depth, ancestors);
  if (!isPlainObject(container)) throw new Refusal('unsupported-type', `${describeType(container)} has no JSON representation`);
  return serializeObject(container as Record<string, unknown>, depth, ancestors);
}

function serializeArray(array: unknown[], depth: number, ancestors: object[]): string {
  ancestors.push(array);
  let index = 0;
  let out = '[';
  try {
    for (; index < array.length; index++) {
      const element = array[index];
      // JSON.stringify would write null here; refusing keeps a programming mistake from being signed.
      if (element === undefined) throw new Refusal('unsupported-type', 'undefined (or an array hole) has no JSON representation');
      if (index > 0) out += ',';
      out += serializeValue(element, depth, ancestors);
    }
  } catch (error) {
    if (error instanceof Refusal) error.innermostFirstSegments.push(index);
    throw error;
  }
  ancestors.pop();
  return out + ']';
}

function serializeObject(object: Record<string, unknown>, depth: number, ancestors: object[]): string {
  ancestors.push(object);
  // The default sort compares UTF-16 code units, which is exactly RFC 8785 section 3.2.3.
  const keys = Object.keys(object).sort();
  let key = '';
  let out = '{';
  let first = true;
  try {
    for (key of keys) {
      const member = object[key];
      // Absent and undefined members are the same thing to TypeScript's optional properties.
      if (member === undefined) continue;
      if (first) first = false;
      else out += ',';
      out += serializeString(key, 'member name');
      out += ':';
      out += serializeValue(member, depth, ancestors);
    }
  } catch (error) {
    if (error instanceof Refusal) error.innermostFirstSegments.push(key);
    throw error;
  }
  ancestors.pop();
  return out + '}';
}

/** RFC 8785 canonical text of `value`; throws CanonicalJsonError for anything without one. */
export function canonicalize(value: unknown): string {
  try {
    return serializeValue(value, 0, []);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const path = formatJsonPath(error.innermostFirstSegments.reverse());
    throw new CanonicalJsonError(error.code, path, error.reason);
  }
}

/** UTF-8 bytes of canonicalize(value): what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}
