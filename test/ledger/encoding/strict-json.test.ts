import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { InvariantError } from '../../../ledger/assert.js';
import { canonicalize } from '../../../ledger/encoding/canonical-json.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { DEFAULT_STRICT_JSON_LIMITS, parseStrictJson } from '../../../ledger/encoding/strict-json.js';
import type { StrictJsonErrorCode, StrictJsonOptions } from '../../../ledger/encoding/strict-json.js';

function parsed(text: string, limits?: StrictJsonOptions): JsonValue {
  const result = parseStrictJson(text, limits);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text.slice(0, 60))} to parse: ${result.error.message}`);
  return result.value;
}

function failure(text: string, limits?: StrictJsonOptions) {
  const result = parseStrictJson(text, limits);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text.slice(0, 60))} to be refused`);
  return result.error;
}

function expectFailure(
  text: string,
  expected: { code: StrictJsonErrorCode; position?: number; path?: string },
  limits?: StrictJsonOptions,
): void {
  const error = failure(text, limits);
  expect(error.code, text.slice(0, 60)).toBe(expected.code);
  if (expected.position !== undefined) expect(error.position, text.slice(0, 60)).toBe(expected.position);
  if (expected.path !== undefined) expect(error.path, text.slice(0, 60)).toBe(expected.path);
  expect(error.message).toContain(error.path);
  expect(error.message).toContain(`position ${error.position}`);
}

describe('accepted JSON (RFC 8259)', () => {
  it('parses every kind of value, at the top level too', () => {
    expect(parsed('null')).toBe(null);
    expect(parsed('true')).toBe(true);
    expect(parsed('false')).toBe(false);
    expect(parsed('0')).toBe(0);
    expect(parsed('-12.5e-1')).toBe(-1.25);
    expect(parsed('1E+2')).toBe(100);
    expect(parsed('"text"')).toBe('text');
    expect(parsed('[]')).toEqual([]);
    expect(parsed('{}')).toEqual({});
    expect(parsed('{"a":[1,{"b":null}],"c":"d"}')).toEqual({ a: [1, { b: null }], c: 'd' });
  });

  it('allows exactly space, tab, line feed and carriage return around tokens', () => {
    const text = ' \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n, "b":{ } , "c":[ ] } \t\r\n';
    expect(parsed(text)).toEqual({ a: [1, 2], b: {}, c: [] });
    expectFailure('\u00a01', { code: 'syntax', position: 0 });
    expectFailure('\u000b1', { code: 'syntax', position: 0 });
    expectFailure('[1,\f2]', { code: 'syntax', position: 3, path: '$[1]' });
    expectFailure('\u20281', { code: 'syntax', position: 0 });
  });

  it('decodes every escape sequence', () => {
    expect(parsed('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"')).toBe('" \\ / \b \f \n \r \t');
    expect(parsed('"\\u0041\\u00e9\\u00E9\\u20AC\\u0000"')).toBe('Aéé€\u0000');
    expect(parsed('"\\ud83d\\ude00"')).toBe('\ud83d\ude00');
    expect(parsed('"\\uD83D\\uDE00"')).toBe('\ud83d\ude00');
    expect(parsed('"raw 😀 pair and \u2028 and \u007f"')).toBe('raw 😀 pair and \u2028 and \u007f');
    expect(parsed('{"k\\u0065y":"v\\nw"}')).toEqual({ key: 'v\nw' });
  });

  it('keeps numbers as IEEE-754 doubles, including -0 and underflow to 0', () => {
    expect(Object.is(parsed('-0'), -0)).toBe(true);
    expect(parsed('1e-400')).toBe(0);
    expect(parsed('1.7976931348623157e308')).toBe(Number.MAX_VALUE);
    expect(parsed('5e-324')).toBe(5e-324);
    expect(parsed('9007199254740993')).toBe(9007199254740992);
  });

  it('returns plain objects whose members are all own properties, prototype names included when asked to keep them', () => {
    const value = parsed('{"__proto__":{"polluted":true},"constructor":1,"toString":"x","hasOwnProperty":null}', { prototypeMembers: 'keep' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalize(value)).toBe('{"__proto__":{"polluted":true},"constructor":1,"hasOwnProperty":null,"toString":"x"}');
  });

  it('uses the default limits when none are given', () => {
    expect(DEFAULT_STRICT_JSON_LIMITS).toEqual({
      bytesMax: 4 * 1024 * 1024,
      depthMax: 64,
      stringLengthMax: 1024 * 1024,
      arrayLengthMax: 100_000,
      objectKeysMax: 10_000,
    });
    expect(Object.isFrozen(DEFAULT_STRICT_JSON_LIMITS)).toBe(true);
  });
});

describe('syntax errors', () => {
  const cases: [string, number, string][] = [
    ['', 0, '$'],
    ['   ', 3, '$'],
    ['\ufeff{}', 0, '$'],
    ['\ufeff', 0, '$'],
    ['{"a":1,}', 7, '$'],
    ['[1,]', 3, '$[1]'],
    ['[,1]', 1, '$[0]'],
    ['[1 2]', 3, '$'],
    ['{"a" 1}', 5, '$'],
    ['{"a":}', 5, '$.a'],
    ['{a:1}', 1, '$'],
    ["{'a':1}", 1, '$'],
    ["'a'", 0, '$'],
    ['{"a":1 "b":2}', 7, '$'],
    ['[', 1, '$[0]'],
    ['{', 1, '$'],
    ['{"a":1', 6, '$'],
    ['[1,2', 4, '$'],
    ['1 2', 2, '$'],
    ['{}{}', 2, '$'],
    ['01', 0, '$'],
    ['-01', 0, '$'],
    ['1.', 0, '$'],
    ['.5', 0, '$'],
    ['+1', 0, '$'],
    ['-', 0, '$'],
    ['- 1', 0, '$'],
    ['1e', 0, '$'],
    ['1e+', 0, '$'],
    ['0x10', 1, '$'],
    ['[1.5.2]', 1, '$[0]'],
    ['tru', 0, '$'],
    ['nul', 0, '$'],
    ['True', 0, '$'],
    ['NaN', 0, '$'],
    ['Infinity', 0, '$'],
    ['-Infinity', 0, '$'],
    ['undefined', 0, '$'],
    ['"abc', 0, '$'],
    ['["abc\\"]', 1, '$[0]'],
    ['"a\nb"', 2, '$'],
    ['"a\tb"', 2, '$'],
    ['{"x":"\u0000"}', 6, '$.x'],
    ['"\\x"', 1, '$'],
    ["\"\\'\"", 1, '$'],
    ['"\\u12"', 1, '$'],
    ['"\\u12G4"', 1, '$'],
    ['"\\U0041"', 1, '$'],
    ['/* comment */ 1', 0, '$'],
    ['{"a":1}//', 7, '$'],
    ['\ud800', 0, '$'],
  ];

  for (const [text, position, path] of cases) {
    it(`refuses ${JSON.stringify(text)} at position ${position}`, () => {
      expectFailure(text, { code: 'syntax', position, path });
    });
  }

  it('says what was expected and what was found', () => {
    expect(failure('\ufeff{}').message).toContain('byte order mark');
    expect(failure('[1 2]').message).toContain('expected "," or "]"');
    expect(failure('{"a" 1}').message).toContain('expected ":"');
    expect(failure('"a\u0001"').message).toContain('U+0001');
    expect(failure('[').message).toContain('end of input');
  });
});

describe('duplicate member names', () => {
  it('refuses duplicates at the top level, naming the member and the second occurrence', () => {
    const error = failure('{"a":1,"b":2,"a":3}');
    expect(error.code).toBe('duplicate-key');
    expect(error.position).toBe(13);
    expect(error.path).toBe('$.a');
    expect(error.message).toContain('"a"');
  });

  it('refuses duplicates nested in objects and arrays', () => {
    expectFailure('{"outer":{"list":[0,{"x":1,"y":2,"x":3}]}}', { code: 'duplicate-key', path: '$.outer.list[1].x', position: 33 });
    expectFailure('[[{"a b":1,"a b":2}]]', { code: 'duplicate-key', path: '$[0][0]["a b"]', position: 11 });
  });

  it('compares names after unescaping', () => {
    expectFailure('{"a":1,"\\u0061":2}', { code: 'duplicate-key', path: '$.a', position: 7 });
    expectFailure('{"😀":1,"\\ud83d\\ude00":2}', { code: 'duplicate-key', position: 8 });
  });

  it('refuses a duplicated "__proto__" and other inherited names', () => {
    expectFailure('{"__proto__":1,"__proto__":2}', { code: 'duplicate-key', path: '$.__proto__' }, { prototypeMembers: 'keep' });
    expectFailure('{"toString":1,"toString":2}', { code: 'duplicate-key', path: '$.toString' });
  });

  it('refuses __proto__, constructor and prototype members anywhere, by default, naming where', () => {
    expectFailure('{"__proto__":{"polluted":true}}', { code: 'forbidden-member', path: '$.__proto__', position: 1 });
    expectFailure('{"a":[1,{"constructor":{}}]}', { code: 'forbidden-member', path: '$.a[1].constructor' });
    expectFailure('{"document":{"epcisBody":{"prototype":0}}}', { code: 'forbidden-member', path: '$.document.epcisBody.prototype' });
    expect(failure('{"x":{"__proto__":1}}').message).toContain('member name "__proto__" is not allowed');
    // Other names Object.prototype has are ordinary members; so are the forbidden names as values.
    expect(parsed('{"toString":"x","hasOwnProperty":null,"valueOf":["__proto__","constructor"]}')).toEqual({ toString: 'x', hasOwnProperty: null, valueOf: ['__proto__', 'constructor'] });
  });

  it('allows the same name in different objects', () => {
    expect(parsed('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toEqual({ a: { a: { a: 1 } }, b: [{ a: 1 }, { a: 2 }] });
  });
});

describe('lone surrogates', () => {
  const cases: [string, number, string][] = [
    ['"\\ud800"', 1, '$'],
    ['"\\udc00"', 1, '$'],
    ['"x\\ud83d"', 2, '$'],
    ['"\\ud83d\\u0041"', 1, '$'],
    ['"\\ud83d\\ud83d\\ude00"', 1, '$'],
    ['"\\ude00\\ud83d"', 1, '$'],
    ['["ok","\\ud83dx"]', 7, '$[1]'],
    ['"\\ud83d\ude00"', 1, '$'],
    ['"\ud83d\\ude00"', 1, '$'],
    ['"raw \ud800 high"', 5, '$'],
    ['{"a":"raw \udc00 low"}', 10, '$.a'],
    ['{"key\\ud800":1}', 5, '$'],
    ['{"k":{"\ud800":1}}', 7, '$.k'],
  ];

  for (const [text, position, path] of cases) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expectFailure(text, { code: 'lone-surrogate', position, path });
    });
  }
});

describe('numbers that do not fit a double', () => {
  it('refuses overflow to infinity, naming the number', () => {
    expectFailure('1e309', { code: 'non-finite-number', position: 0, path: '$' });
    expectFailure('{"amount":[1,-1e400]}', { code: 'non-finite-number', position: 13, path: '$.amount[1]' });
    expectFailure(`[${'9'.repeat(400)}]`, { code: 'non-finite-number', position: 1, path: '$[0]' });
    expectFailure('1.7976931348623159e308', { code: 'non-finite-number', position: 0 });
  });
});

describe('limits', () => {
  it('counts bytesMax in UTF-8 bytes', () => {
    expect(parsed('"abcd"', { bytesMax: 6 })).toBe('abcd');
    expectFailure('"abcde"', { code: 'too-large', position: 6, path: '$' }, { bytesMax: 6 });
    // "€" is three bytes and "😀" four, so these are 5 and 6 bytes long.
    expect(parsed('"€"', { bytesMax: 5 })).toBe('€');
    expectFailure('"€"', { code: 'too-large', position: 2 }, { bytesMax: 4 });
    expect(parsed('"😀"', { bytesMax: 6 })).toBe('😀');
    expectFailure('"😀"', { code: 'too-large' }, { bytesMax: 5 });
    expectFailure('x'.repeat(DEFAULT_STRICT_JSON_LIMITS.bytesMax + 1), { code: 'too-large' });
  });

  it(`refuses nesting beyond depthMax (default ${DEFAULT_STRICT_JSON_LIMITS.depthMax})`, () => {
    const depth = DEFAULT_STRICT_JSON_LIMITS.depthMax;
    expect(canonicalize(parsed(`${'['.repeat(depth)}${']'.repeat(depth)}`))).toBe(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expectFailure(`${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}`, { code: 'too-deep', position: depth, path: `$${'[0]'.repeat(depth)}` });
    expectFailure('{"a":{"b":[{}]}}', { code: 'too-deep', position: 11, path: '$.a.b[0]' }, { depthMax: 3 });
    expect(parsed('{"a":{"b":[]}}', { depthMax: 3 })).toEqual({ a: { b: [] } });
    expectFailure('[]', { code: 'too-deep', position: 0, path: '$' }, { depthMax: 0 });
    expect(parsed('7', { depthMax: 0 })).toBe(7);
  });

  it('refuses very deep input without overflowing the stack', () => {
    expectFailure('['.repeat(100_000), { code: 'too-deep', position: 64 });
    expectFailure('{"a":'.repeat(100_000), { code: 'too-deep', position: 64 * 5, path: `$${'.a'.repeat(64)}` });
    expectFailure('[{"a":'.repeat(50_000), { code: 'too-deep' });
  });

  it('counts stringLengthMax in UTF-16 code units after unescaping, for values and names', () => {
    expect(parsed('"abcd"', { stringLengthMax: 4 })).toBe('abcd');
    expectFailure('["abcde"]', { code: 'string-too-long', position: 1, path: '$[0]' }, { stringLengthMax: 4 });
    expect(parsed('"\\u0041\\u0042\\u0043\\u0044"', { stringLengthMax: 4 })).toBe('ABCD');
    expectFailure('"\\u0041\\u0042\\u0043\\u0044\\n"', { code: 'string-too-long', position: 0 }, { stringLengthMax: 4 });
    expectFailure('{"ok":1,"abcde":1}', { code: 'string-too-long', position: 8, path: '$' }, { stringLengthMax: 4 });
    expect(parsed('"😀😀"', { stringLengthMax: 4 })).toBe('😀😀');
    expectFailure('"😀😀a"', { code: 'string-too-long' }, { stringLengthMax: 4 });
  });

  it('refuses arrays longer than arrayLengthMax', () => {
    expect(parsed('[1,2,3]', { arrayLengthMax: 3 })).toEqual([1, 2, 3]);
    expectFailure('{"list":[1,2,3,4]}', { code: 'array-too-long', position: 15, path: '$.list' }, { arrayLengthMax: 3 });
    expectFailure('[[]]', { code: 'array-too-long', position: 1, path: '$' }, { arrayLengthMax: 0 });
    const long = `[${Array.from({ length: DEFAULT_STRICT_JSON_LIMITS.arrayLengthMax + 1 }, () => '0').join(',')}]`;
    expectFailure(long, { code: 'array-too-long', position: 1 + 2 * DEFAULT_STRICT_JSON_LIMITS.arrayLengthMax });
  });

  it('refuses objects with more than objectKeysMax members', () => {
    expect(parsed('{"a":1,"b":2}', { objectKeysMax: 2 })).toEqual({ a: 1, b: 2 });
    expectFailure('[{"a":1,"b":2,"c":3}]', { code: 'too-many-keys', position: 14, path: '$[0]' }, { objectKeysMax: 2 });
  });

  it('lets callers override one limit and keep the other defaults', () => {
    expectFailure('"abcde"', { code: 'string-too-long' }, { stringLengthMax: 2, depthMax: undefined });
    expect(parsed('[[[1]]]', { stringLengthMax: 2 })).toEqual([[[1]]]);
  });

  it('treats bad limits as a programming error', () => {
    expect(() => parseStrictJson('1', { depthMax: 65 })).toThrow(InvariantError);
    expect(() => parseStrictJson('1', { bytesMax: -1 })).toThrow(InvariantError);
    expect(() => parseStrictJson('1', { arrayLengthMax: 1.5 })).toThrow(InvariantError);
    expect(() => parseStrictJson('1', { objectKeysMax: Number.NaN })).toThrow(InvariantError);
  });
});

describe('properties', () => {
  const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
  // A \u escape counts only if the backslash before it is not itself escaped.
  const ESCAPED_SURROGATE = /(?<!\\)((?:\\\\)*)\\u(d[89a-f][0-9a-f]{2})/g;

  it('agrees with JSON.parse on JSON.stringify output, however it is indented', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 8 }), fc.constantFrom(undefined, 0, 2, '\t'), (value, indentation) => {
        const text = JSON.stringify(value, null, indentation);
        expect(parsed(text, { prototypeMembers: 'keep' })).toEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses a document by default exactly when one of its member names is __proto__, constructor or prototype', () => {
    const memberName = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), fc.string({ maxLength: 4 }));
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 3 }), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(memberName, tie('value'), { maxKeys: 3 })),
    })).value;
    const hasPrototypeName = (candidate: unknown): boolean =>
      Array.isArray(candidate)
        ? candidate.some(hasPrototypeName)
        : candidate !== null && typeof candidate === 'object' && Object.keys(candidate).some((key) => ['__proto__', 'constructor', 'prototype'].includes(key) || hasPrototypeName((candidate as Record<string, unknown>)[key]));
    fc.assert(
      fc.property(value, (candidate) => {
        const result = parseStrictJson(JSON.stringify(candidate));
        expect(result.ok).toBe(!hasPrototypeName(candidate));
        if (!result.ok) expect(result.error.code).toBe('forbidden-member');
      }),
      { seed: 1010, numRuns: 500 },
    );
  });

  it('accepts text with lone surrogates only by refusing it, and its values always canonicalize', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: anyCodeUnit, maxDepth: 6 }), (value) => {
        // JSON.stringify writes lone surrogates as \\uXXXX escapes; raw ones are tried below.
        for (const text of [JSON.stringify(value), JSON.stringify(value).replace(ESCAPED_SURROGATE, (_, backslashes: string, hex: string) => backslashes + String.fromCharCode(parseInt(hex, 16)))]) {
          const result = parseStrictJson(text);
          let hasLoneSurrogate = false;
          try {
            canonicalize(value);
          } catch {
            hasLoneSurrogate = true;
          }
          if (result.ok) {
            expect(hasLoneSurrogate).toBe(false);
            expect(canonicalize(result.value)).toBe(canonicalize(value));
          } else {
            expect(hasLoneSurrogate).toBe(true);
            expect(result.error.code).toBe('lone-surrogate');
          }
        }
      }),
    );
  });

  it('never throws, and refuses whatever JSON.parse refuses, on mangled text', () => {
    const mangled = fc
      .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.string({ unit: anyCodeUnit, maxLength: 3 }), fc.nat({ max: 3 }))
      .map(([text, at, insert, remove]) => {
        const position = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, position) + insert + text.slice(position + remove);
      });
    fc.assert(
      fc.property(mangled, (text) => {
        const result = parseStrictJson(text);
        let acceptedByJsonParse = true;
        try {
          JSON.parse(text);
        } catch {
          acceptedByJsonParse = false;
        }
        if (!acceptedByJsonParse) expect(result.ok).toBe(false);
        if (result.ok) expect(() => canonicalize(result.value)).not.toThrow();
        else expect(result.error.position).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });
});
