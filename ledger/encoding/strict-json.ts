/**
 * Strict JSON parser for untrusted text (HTTP bodies, peer messages), per RFC 8259.
 *
 * JSON.parse cannot be used on input that will be hashed or signed: it silently keeps the last
 * of two duplicate keys (RFC 8259 section 4 only says names SHOULD be unique) and accepts
 * escaped lone surrogates (section 8.2), so two nodes or a node and a client could read different
 * meanings into one message. This parser follows the grammar of RFC 8259 sections 2-7 and also
 * enforces the I-JSON profile (RFC 7493 sections 2.1-2.3) that RFC 8785 section 3.1 requires:
 * unique member names, well-formed Unicode, numbers that fit an IEEE-754 double. A value it returns
 * can always be canonicalized. A leading byte order mark is refused (section 8.1 forbids adding
 * one, and canonical bytes never carry one).
 *
 * Bad input is an expected event, so failures are returned as values, never thrown. Positions
 * are 0-based indices into the string in UTF-16 code units (what String.prototype.slice takes).
 */

import { assert } from '../assert.js';
import { CANONICAL_DEPTH_MAX, formatJsonPath } from './canonical-json.js';
import type { JsonPathSegment, JsonValue } from './canonical-json.js';

export interface StrictJsonLimits {
  /** Size of the text encoded as UTF-8. */
  bytesMax: number;
  /** Nesting of arrays and objects; a top-level array or object is at depth 1. */
  depthMax: number;
  /** Length of any one string or member name after unescaping, in UTF-16 code units. */
  stringLengthMax: number;
  arrayLengthMax: number;
  objectKeysMax: number;
}

/**
 * Member names that JavaScript objects treat specially. Kept as own properties they are harmless
 * to this parser, but code downstream (object spreads, schema libraries, merges) may drop them or
 * act on them, so that the value it sees is not the text that was signed: untrusted input with
 * one of them is refused, anywhere in the document.
 */
export const PROTOTYPE_MEMBER_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export interface StrictJsonOptions extends Partial<StrictJsonLimits> {
  /**
   * 'refuse' (the default) for input from outside; 'keep' only to read back what this system
   * already recorded (committed block payloads), which must decode as it was certified.
   */
  prototypeMembers?: 'refuse' | 'keep';
}

export const DEFAULT_STRICT_JSON_LIMITS: StrictJsonLimits = Object.freeze({
  bytesMax: 4 * 1024 * 1024,
  depthMax: CANONICAL_DEPTH_MAX,
  stringLengthMax: 1024 * 1024,
  arrayLengthMax: 100_000,
  objectKeysMax: 10_000,
});

export type StrictJsonErrorCode =
  | 'syntax'
  | 'duplicate-key'
  | 'lone-surrogate'
  | 'non-finite-number'
  | 'too-deep'
  | 'too-large'
  | 'string-too-long'
  | 'array-too-long'
  | 'too-many-keys'
  | 'forbidden-member';

export type StrictJsonResult =
  | { ok: true; value: JsonValue }
  | { ok: false; error: { code: StrictJsonErrorCode; message: string; position: number; path: string } };

/**
 * Thrown inside the parser and turned into a result at the top. Path segments are collected
 * while unwinding so that successful parses pay nothing to track where they are. Not an Error,
 * so no stack trace is captured for a failure that is always caught.
 */
class ParseFailure {
  readonly innermostFirstSegments: JsonPathSegment[] = [];
  constructor(
    readonly code: StrictJsonErrorCode,
    readonly reason: string,
    readonly position: number,
  ) {}
}

const CHAR_TAB = 0x09;
const CHAR_LINE_FEED = 0x0a;
const CHAR_CARRIAGE_RETURN = 0x0d;
const CHAR_SPACE = 0x20;
const CHAR_QUOTE = 0x22;
const CHAR_COMMA = 0x2c;
const CHAR_MINUS = 0x2d;
const CHAR_ZERO = 0x30;
const CHAR_NINE = 0x39;
const CHAR_COLON = 0x3a;
const CHAR_OPEN_BRACKET = 0x5b;
const CHAR_BACKSLASH = 0x5c;
const CHAR_CLOSE_BRACKET = 0x5d;
const CHAR_OPEN_BRACE = 0x7b;
const CHAR_CLOSE_BRACE = 0x7d;
const BYTE_ORDER_MARK = 0xfeff;

/** Strings without any of these are taken as one slice, without looking at each character. */
const STRING_NEEDS_DECODING_PATTERN = /[\\\u0000-\u001f\ud800-\udfff]/;
/** V8 makes a slice this long or longer a view that keeps the whole text alive (SlicedString::kMinLength). */
const SLICE_VIEW_LENGTH_MIN = 13;

/**
 * A string cut from the text (a slice, or slices joined) as a string of its own. V8 returns a long slice as a view of `text`,
 * so one parsed value kept (a transaction in the mempool, a cache) would keep the whole message
 * alive: a relay frame of up to 1 MiB for each transaction of it. Slicing a fresh concatenation
 * makes V8 flatten that into a copy of just this string, and the view then holds only the copy.
 */
function ownString(slice: string): string {
  return slice.length < SLICE_VIEW_LENGTH_MIN ? slice : ` ${slice}`.slice(1);
}
/** RFC 8259 section 6. Sticky, so it matches exactly at the current position. */
const NUMBER_PATTERN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** Characters that, right after a matched number, mean the number itself was malformed (e.g. `01`, `1.`, `1e`). */
const NUMBER_CONTINUATION_PATTERN = /[0-9.eE+-]/;
const HEX_DIGITS_PATTERN = /^[0-9a-fA-F]{4}$/;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function describeCharacter(text: string, position: number): string {
  if (position >= text.length) return 'end of input';
  const code = text.charCodeAt(position);
  if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff) || code === BYTE_ORDER_MARK) {
    return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `character ${JSON.stringify(text.charAt(position))}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Index of the first character at which the UTF-8 encoding of `text` exceeds `bytesMax`, or -1.
 * Counted by hand rather than with Buffer or TextEncoder so that this module also runs in the
 * auditor's browser and allocates nothing.
 */
function utf8OverflowPosition(text: string, bytesMax: number): number {
  // Each UTF-16 code unit takes at least one and at most three UTF-8 bytes (a pair takes four).
  if (text.length * 3 <= bytesMax) return -1;
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4;
      index++;
    } else bytes += 3;
    if (bytes > bytesMax) return index;
  }
  return -1;
}

class Parser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly limits: StrictJsonLimits,
    private readonly refusePrototypeMembers: boolean,
  ) {}

  parseDocument(): JsonValue {
    if (this.text.charCodeAt(0) === BYTE_ORDER_MARK) {
      throw new ParseFailure('syntax', 'a byte order mark (U+FEFF) is not allowed before JSON text', 0);
    }
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.position < this.text.length) {
      throw new ParseFailure('syntax', `unexpected ${describeCharacter(this.text, this.position)} after the JSON value`, this.position);
    }
    return value;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let position = this.position;
    for (;;) {
      const code = text.charCodeAt(position);
      if (code === CHAR_SPACE || code === CHAR_LINE_FEED || code === CHAR_CARRIAGE_RETURN || code === CHAR_TAB) position++;
      else break;
    }
    this.position = position;
  }

  /** `depth` is the number of arrays and objects enclosing the value about to be parsed. */
  private parseValue(depth: number): JsonValue {
    const code = this.text.charCodeAt(this.position);
    switch (code) {
      case CHAR_QUOTE:
        return this.parseString('string');
      case CHAR_OPEN_BRACE:
        return this.parseObject(depth + 1);
      case CHAR_OPEN_BRACKET:
        return this.parseArray(depth + 1);
      case 0x74: // t
        return this.parseLiteral('true', true);
      case 0x66: // f
        return this.parseLiteral('false', false);
      case 0x6e: // n
        return this.parseLiteral('null', null);
      default:
        if (code === CHAR_MINUS || (code >= CHAR_ZERO && code <= CHAR_NINE)) return this.parseNumber();
        throw new ParseFailure('syntax', `expected a JSON value but found ${describeCharacter(this.text, this.position)}`, this.position);
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) {
      throw new ParseFailure('syntax', `expected a JSON value but found ${describeCharacter(this.text, this.position)}`, this.position);
    }
    this.position += word.length;
    return value;
  }

  private parseNumber(): number {
    const start = this.position;
    NUMBER_PATTERN.lastIndex = start;
    const match = NUMBER_PATTERN.exec(this.text);
    const end = match === null ? start : start + match[0].length;
    if (match === null || NUMBER_CONTINUATION_PATTERN.test(this.text.charAt(end))) {
      throw new ParseFailure('syntax', 'malformed number (RFC 8259 section 6)', start);
    }
    const value = Number(match[0]);
    if (!Number.isFinite(value)) {
      throw new ParseFailure('non-finite-number', 'number is too large for an IEEE-754 double', start);
    }
    this.position = end;
    return value;
  }

  /** `role` only changes the wording of errors: member names and string values share the grammar. */
  private parseString(role: 'string' | 'member name'): string {
    const text = this.text;
    const start = this.position;
    const closing = text.indexOf('"', start + 1);
    if (closing !== -1) {
      const candidate = text.slice(start + 1, closing);
      if (!STRING_NEEDS_DECODING_PATTERN.test(candidate)) {
        this.checkStringLength(candidate.length, role, start);
        this.position = closing + 1;
        return ownString(candidate);
      }
    }
    return this.parseStringSlowly(role);
  }

  private checkStringLength(length: number, role: string, start: number): void {
    if (length > this.limits.stringLengthMax) {
      throw new ParseFailure('string-too-long', `${role} is longer than ${this.limits.stringLengthMax} characters`, start);
    }
  }

  private parseStringSlowly(role: string): string {
    const text = this.text;
    const start = this.position;
    let index = start + 1;
    let out = '';
    let chunkStart = index;
    for (;;) {
      if (index >= text.length) throw new ParseFailure('syntax', `unterminated ${role}`, start);
      const code = text.charCodeAt(index);
      if (code === CHAR_QUOTE) {
        out += text.slice(chunkStart, index);
        index++;
        break;
      }
      if (code === CHAR_BACKSLASH) {
        out += text.slice(chunkStart, index);
        const escape = this.decodeEscape(index, role);
        out += escape.decoded;
        index = escape.next;
        chunkStart = index;
      } else if (code < 0x20) {
        throw new ParseFailure('syntax', `unescaped control ${describeCharacter(text, index)} in ${role}`, index);
      } else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
        index += 2;
      } else if (isHighSurrogate(code) || isLowSurrogate(code)) {
        throw new ParseFailure('lone-surrogate', `lone surrogate ${describeCharacter(text, index)} in ${role}`, index);
      } else {
        index++;
      }
    }
    this.checkStringLength(out.length, role, start);
    this.position = index;
    return ownString(out);
  }

  /** Decodes the escape starting at the backslash at `index`. */
  private decodeEscape(index: number, role: string): { decoded: string; next: number } {
    const text = this.text;
    const letter = text.charAt(index + 1);
    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) return { decoded: simple, next: index + 2 };
    if (letter !== 'u') {
      throw new ParseFailure('syntax', `invalid escape sequence in ${role} (RFC 8259 section 7)`, index);
    }
    const unit = this.readUnicodeEscape(index, role);
    if (isLowSurrogate(unit)) {
      throw new ParseFailure('lone-surrogate', `escaped lone surrogate \\u${unit.toString(16)} in ${role}`, index);
    }
    if (!isHighSurrogate(unit)) return { decoded: String.fromCharCode(unit), next: index + 6 };
    // RFC 8259 section 7: a character outside the BMP is written as an escaped surrogate pair.
    const partnerIndex = index + 6;
    if (text.charCodeAt(partnerIndex) === CHAR_BACKSLASH && text.charAt(partnerIndex + 1) === 'u') {
      const partner = this.readUnicodeEscape(partnerIndex, role);
      if (isLowSurrogate(partner)) return { decoded: String.fromCharCode(unit, partner), next: partnerIndex + 6 };
    }
    throw new ParseFailure('lone-surrogate', `escaped lone surrogate \\u${unit.toString(16)} in ${role}`, index);
  }

  private readUnicodeEscape(index: number, role: string): number {
    const digits = this.text.slice(index + 2, index + 6);
    if (!HEX_DIGITS_PATTERN.test(digits)) {
      throw new ParseFailure('syntax', `\\u must be followed by four hexadecimal digits in ${role}`, index);
    }
    return parseInt(digits, 16);
  }

  private enterContainer(depth: number): void {
    if (depth > this.limits.depthMax) {
      throw new ParseFailure('too-deep', `nesting deeper than ${this.limits.depthMax} levels`, this.position);
    }
    this.position++;
    this.skipWhitespace();
  }

  private parseArray(depth: number): JsonValue[] {
    this.enterContainer(depth);
    const array: JsonValue[] = [];
    const text = this.text;
    if (text.charCodeAt(this.position) === CHAR_CLOSE_BRACKET) {
      this.position++;
      return array;
    }
    for (;;) {
      if (array.length >= this.limits.arrayLengthMax) {
        throw new ParseFailure('array-too-long', `array has more than ${this.limits.arrayLengthMax} elements`, this.position);
      }
      let element: JsonValue;
      try {
        element = this.parseValue(depth);
      } catch (error) {
        if (error instanceof ParseFailure) error.innermostFirstSegments.push(array.length);
        throw error;
      }
      array.push(element);
      this.skipWhitespace();
      const code = text.charCodeAt(this.position);
      if (code === CHAR_COMMA) {
        this.position++;
        this.skipWhitespace();
      } else if (code === CHAR_CLOSE_BRACKET) {
        this.position++;
        return array;
      } else {
        throw new ParseFailure('syntax', `expected "," or "]" in array but found ${describeCharacter(text, this.position)}`, this.position);
      }
    }
  }

  private parseObject(depth: number): { [key: string]: JsonValue } {
    this.enterContainer(depth);
    const object: { [key: string]: JsonValue } = {};
    const text = this.text;
    if (text.charCodeAt(this.position) === CHAR_CLOSE_BRACE) {
      this.position++;
      return object;
    }
    let keyCount = 0;
    for (;;) {
      const keyPosition = this.position;
      if (text.charCodeAt(keyPosition) !== CHAR_QUOTE) {
        throw new ParseFailure('syntax', `expected a quoted member name but found ${describeCharacter(text, keyPosition)}`, keyPosition);
      }
      if (keyCount >= this.limits.objectKeysMax) {
        throw new ParseFailure('too-many-keys', `object has more than ${this.limits.objectKeysMax} members`, keyPosition);
      }
      const key = this.parseString('member name');
      if (this.refusePrototypeMembers && PROTOTYPE_MEMBER_NAMES.includes(key)) {
        const failure = new ParseFailure('forbidden-member', `member name ${JSON.stringify(key)} is not allowed`, keyPosition);
        failure.innermostFirstSegments.push(key);
        throw failure;
      }
      if (Object.hasOwn(object, key)) {
        const failure = new ParseFailure('duplicate-key', `duplicate member name ${JSON.stringify(key)}`, keyPosition);
        failure.innermostFirstSegments.push(key);
        throw failure;
      }
      this.skipWhitespace();
      if (text.charCodeAt(this.position) !== CHAR_COLON) {
        throw new ParseFailure('syntax', `expected ":" after member name but found ${describeCharacter(text, this.position)}`, this.position);
      }
      this.position++;
      this.skipWhitespace();
      let member: JsonValue;
      try {
        member = this.parseValue(depth);
      } catch (error) {
        if (error instanceof ParseFailure) error.innermostFirstSegments.push(key);
        throw error;
      }
      if (key === '__proto__') {
        // Plain assignment would call the inherited __proto__ setter and change the prototype
        // instead of recording the member; JSON.parse defines it as an own property, and so do we.
        Object.defineProperty(object, key, { value: member, writable: true, enumerable: true, configurable: true });
      } else {
        object[key] = member;
      }
      keyCount++;
      this.skipWhitespace();
      const code = text.charCodeAt(this.position);
      if (code === CHAR_COMMA) {
        this.position++;
        this.skipWhitespace();
      } else if (code === CHAR_CLOSE_BRACE) {
        this.position++;
        return object;
      } else {
        throw new ParseFailure('syntax', `expected "," or "}" in object but found ${describeCharacter(text, this.position)}`, this.position);
      }
    }
  }
}

function resolveLimits(overrides: StrictJsonOptions | undefined): StrictJsonLimits {
  if (overrides === undefined) return DEFAULT_STRICT_JSON_LIMITS;
  const limits: StrictJsonLimits = { ...DEFAULT_STRICT_JSON_LIMITS };
  for (const name of Object.keys(DEFAULT_STRICT_JSON_LIMITS) as (keyof StrictJsonLimits)[]) {
    const override = overrides[name];
    if (override !== undefined) limits[name] = override;
    // Limits come from code and configuration, never from a peer: a bad one is a bug.
    assert(Number.isSafeInteger(limits[name]) && limits[name] >= 0, `strict JSON limit ${name} must be a non-negative integer`);
  }
  // Anything deeper could never be canonicalized, hashed or signed, so accepting it would only
  // move the failure somewhere less clear.
  assert(limits.depthMax <= CANONICAL_DEPTH_MAX, `strict JSON depthMax must not exceed ${CANONICAL_DEPTH_MAX}`);
  return limits;
}

/** Parses untrusted JSON text; every way it can fail is returned, never thrown. */
export function parseStrictJson(text: string, options?: StrictJsonOptions): StrictJsonResult {
  const resolved = resolveLimits(options);
  try {
    const overflow = utf8OverflowPosition(text, resolved.bytesMax);
    if (overflow !== -1) throw new ParseFailure('too-large', `text is larger than ${resolved.bytesMax} bytes as UTF-8`, overflow);
    return { ok: true, value: new Parser(text, resolved, (options?.prototypeMembers ?? 'refuse') === 'refuse').parseDocument() };
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    const path = formatJsonPath(error.innermostFirstSegments.reverse());
    return {
      ok: false,
      error: {
        code: error.code,
        message: `${error.reason} at ${path} (position ${error.position})`,
        position: error.position,
        path,
      },
    };
  }
}
