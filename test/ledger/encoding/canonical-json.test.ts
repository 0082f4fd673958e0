import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CANONICAL_DEPTH_MAX,
  CanonicalJsonError,
  canonicalBytes,
  canonicalize,
} from '../../../ledger/encoding/canonical-json.js';
import type { CanonicalJsonErrorCode, JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../../../ledger/encoding/strict-json.js';
import { toHex, utf8 } from '../../../ledger/encoding/hex.js';
import { VECTORS_DIRECTORY } from '../../support/fixtures.js';

const VECTOR_DIRECTORY = new URL('jcs/', pathToFileURL(VECTORS_DIRECTORY));

function parseOrFail(text: string): JsonValue {
  const result = parseStrictJson(text);
  if (!result.ok) throw new Error(`vector did not parse: ${result.error.message}`);
  return result.value;
}

function doubleFromHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function refusalOf(value: unknown): CanonicalJsonError {
  try {
    canonicalize(value);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return error;
    throw error;
  }
  throw new Error('expected canonicalize to refuse the value');
}

function expectRefusal(value: unknown, code: CanonicalJsonErrorCode, path: string): void {
  const error = refusalOf(value);
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('CanonicalJsonError');
  expect(error.code).toBe(code);
  expect(error.path).toBe(path);
  expect(error.message).toContain(path);
}

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { inner: value };
  return value;
}

describe('RFC 8785 reference vectors', () => {
  const inputNames = readdirSync(new URL('input/', VECTOR_DIRECTORY)).filter((name) => name.endsWith('.json')).sort();

  it('has one expected output and hex dump for every input', () => {
    expect(inputNames.length).toBeGreaterThanOrEqual(6);
    const outputNames = readdirSync(new URL('output/', VECTOR_DIRECTORY)).sort();
    const hexNames = readdirSync(new URL('outhex/', VECTOR_DIRECTORY)).map((name) => name.replace(/\.txt$/, '.json')).sort();
    expect(outputNames).toEqual(inputNames);
    expect(hexNames).toEqual(inputNames);
  });

  for (const name of inputNames) {
    it(`canonicalizes ${name} to the exact expected bytes`, () => {
      const input = readFileSync(new URL(`input/${name}`, VECTOR_DIRECTORY), 'utf8');
      const expectedBytes = new Uint8Array(readFileSync(new URL(`output/${name}`, VECTOR_DIRECTORY)));
      const expectedHex = readFileSync(new URL(`outhex/${name.replace(/\.json$/, '.txt')}`, VECTOR_DIRECTORY), 'utf8').replace(/\s+/g, '');

      const bytes = canonicalBytes(parseOrFail(input));
      expect(toHex(bytes)).toBe(toHex(expectedBytes));
      expect(toHex(bytes)).toBe(expectedHex);
    });
  }
});

describe('number serialization (RFC 8785 section 3.2.2.3, Appendix B)', () => {
  // IEEE-754 bit patterns and expected text, from RFC 8785 Appendix B.
  const appendixB: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
    // Not in the table, but the other edge of the exponent-free range.
    ['3e7ad7f29abcaf48', '1e-7'],
  ];

  for (const [hex, expected] of appendixB) {
    it(`writes the double ${hex} as ${expected}`, () => {
      expect(canonicalize(doubleFromHex(hex))).toBe(expected);
    });
  }

  it('refuses the Appendix B NaN and Infinity bit patterns', () => {
    expectRefusal(doubleFromHex('7fffffffffffffff'), 'non-finite-number', '$');
    expectRefusal(doubleFromHex('7ff0000000000000'), 'non-finite-number', '$');
  });

  it('writes number literals the way the RFC examples do', () => {
    const cases: [string, string][] = [
      ['333333333.33333329', '333333333.3333333'],
      ['1E30', '1e+30'],
      ['4.50', '4.5'],
      ['2e-3', '0.002'],
      ['0.000000000000000000000000001', '1e-27'],
      ['1e21', '1e+21'],
      ['1e20', '100000000000000000000'],
      ['1e-7', '1e-7'],
      ['-0', '0'],
      ['-0.0', '0'],
      ['9007199254740993', '9007199254740992'],
      ['56.0', '56'],
      ['100', '100'],
      ['-1.5e-10', '-1.5e-10'],
    ];
    for (const [literal, expected] of cases) {
      expect(canonicalize(parseOrFail(literal)), literal).toBe(expected);
    }
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize(2 ** 53)).toBe('9007199254740992');
  });
});

describe('string serialization (RFC 8785 section 3.2.2.2)', () => {
  it('escapes every control character below U+0020 with the short form or lowercase \\u00XX', () => {
    const shortForms: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };
    for (let code = 0; code < 0x20; code++) {
      const expected = shortForms[code] ?? `\\u00${code.toString(16).padStart(2, '0')}`;
      expect(canonicalize(String.fromCharCode(code))).toBe(`"${expected}"`);
    }
    expect(canonicalize('\u001f')).toBe('"\\u001f"');
    expect(canonicalize('\u000b')).toBe('"\\u000b"');
  });

  it('escapes only the quotation mark and reverse solidus among printable characters', () => {
    expect(canonicalize('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"');
    expect(canonicalize('a/b</script>')).toBe('"a/b</script>"');
    expect(canonicalize('\u007f')).toBe('"\u007f"');
  });

  it('writes non-ASCII characters, including U+2028 and U+2029, literally as UTF-8', () => {
    const text = 'é€\u2028\u2029😀\u00a0\ufeff';
    expect(canonicalize(text)).toBe(`"${text}"`);
    expect(toHex(canonicalBytes('€'))).toBe('22e282ac22');
    expect(toHex(canonicalBytes('😀'))).toBe('22f09f988022');
    expect(toHex(canonicalBytes('\u2028'))).toBe('22e280a822');
  });

  it('does not normalize Unicode', () => {
    expect(canonicalize('A\u030a')).toBe('"A\u030a"');
    expect(canonicalize('A\u030a')).not.toBe(canonicalize('\u00c5'));
  });

  it('escapes member names with the same rules as values', () => {
    expect(canonicalize({ 'a"b': 1, '\n': 2, '€': 3 })).toBe('{"\\n":2,"a\\"b":1,"€":3}');
  });

  it('agrees with JSON.stringify on any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(canonicalize(text)).toBe(JSON.stringify(text));
      }),
    );
  });

  it('refuses exactly the strings that hold a lone surrogate', () => {
    const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 12 }), (text) => {
        if (!LONE_SURROGATE.test(text)) expect(canonicalize(text)).toBe(JSON.stringify(text));
        else expect(refusalOf(text).code).toBe('lone-surrogate');
      }),
    );
  });
});

describe('object member order (RFC 8785 section 3.2.3)', () => {
  it('sorts by UTF-16 code units, as in the RFC sorting example', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const expectedOrder = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const expected = `{${expectedOrder.map((key) => `${JSON.stringify(key)}:${JSON.stringify(value[key as keyof typeof value])}`).join(',')}}`;
    expect(canonicalize(value)).toBe(expected);
    // The emoji (U+1F600) sorts before U+FB33 only because its first UTF-16 unit is 0xD83D.
    expect(canonicalize({ '\ufb33': 1, '\ud83d\ude00': 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
  });

  it('sorts integer-like names as strings, not numbers', () => {
    expect(canonicalize({ '2': 'b', '10': 'c', '1': 'a', a: 'd', A: 'e', '': 'f' })).toBe('{"":"f","1":"a","10":"c","2":"b","A":"e","a":"d"}');
  });

  it('does not depend on insertion order, at any depth', () => {
    const first = { b: { y: 1, x: [{ q: 1, p: 2 }] }, a: null };
    const second = { a: null, b: { x: [{ p: 2, q: 1 }], y: 1 } };
    expect(canonicalize(first)).toBe('{"a":null,"b":{"x":[{"p":2,"q":1}],"y":1}}');
    expect(canonicalize(second)).toBe(canonicalize(first));
  });

  it('keeps array order and writes no whitespace', () => {
    expect(canonicalize([3, 1, 2, [], {}, 'x', true, false, null])).toBe('[3,1,2,[],{},"x",true,false,null]');
  });
});

describe('values that are accepted', () => {
  it('treats members whose value is undefined as absent', () => {
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalize({ a: undefined })).toBe('{}');
    expect(canonicalize({ z: 1, m: undefined, a: { n: undefined, o: 2 } })).toBe('{"a":{"o":2},"z":1}');
  });

  it('accepts null-prototype objects and an own "__proto__" member', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 2;
    bare.a = 1;
    expect(canonicalize(bare)).toBe('{"a":1,"b":2}');
    const kept = parseStrictJson('{"__proto__":{"x":1},"a":2}', { prototypeMembers: 'keep' });
    expect(kept.ok && canonicalize(kept.value)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it('accepts the same object reached twice without a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalize({ a: shared, b: [shared, shared] })).toBe('{"a":{"k":1},"b":[{"k":1},{"k":1}]}');
  });

  it(`accepts nesting up to ${CANONICAL_DEPTH_MAX} levels`, () => {
    let expected = '1';
    for (let level = 0; level < CANONICAL_DEPTH_MAX; level++) expected = level % 2 === 0 ? `[${expected}]` : `{"inner":${expected}}`;
    expect(canonicalize(nest(CANONICAL_DEPTH_MAX))).toBe(expected);
  });

  it('returns UTF-8 bytes of the canonical text', () => {
    const value = { name: 'pêche', emoji: '😂', number: 1e30 };
    expect(canonicalize(value)).toBe('{"emoji":"😂","name":"pêche","number":1e+30}');
    expect(toHex(canonicalBytes(value))).toBe(toHex(utf8('{"emoji":"😂","name":"pêche","number":1e+30}')));
  });
});

describe('refusals', () => {
  it('refuses non-finite numbers and names their path', () => {
    expectRefusal(NaN, 'non-finite-number', '$');
    expectRefusal({ body: { payload: [0, 1, 2, { x: NaN }] } }, 'non-finite-number', '$.body.payload[3].x');
    expectRefusal([Infinity], 'non-finite-number', '$[0]');
    expectRefusal({ 'odd key': -Infinity }, 'non-finite-number', '$["odd key"]');
  });

  it('refuses lone surrogates in values and in member names', () => {
    expectRefusal('\ud800', 'lone-surrogate', '$');
    expectRefusal({ a: ['ok', 'x\udc00y'] }, 'lone-surrogate', '$.a[1]');
    expectRefusal({ a: 'pair reversed \ude00\ud83d' }, 'lone-surrogate', '$.a');
    const error = refusalOf({ outer: { ['key\ud83d']: 1 } });
    expect(error.code).toBe('lone-surrogate');
    expect(error.path).toBe('$.outer["key\\ud83d"]');
    expect(error.message).toContain('member name');
  });

  it('refuses values JSON cannot represent as unsupported-type', () => {
    class Shipment {
      lot = 'A1';
    }
    const cases: [unknown, string][] = [
      [{ amount: 10n }, '$.amount'],
      [{ callback: () => 1 }, '$.callback'],
      [{ tag: Symbol('x') }, '$.tag'],
      [{ when: new Date(0) }, '$.when'],
      [{ index: new Map() }, '$.index'],
      [{ members: new Set([1]) }, '$.members'],
      [{ bytes: new Uint8Array([1]) }, '$.bytes'],
      [{ shipment: new Shipment() }, '$.shipment'],
      [{ boxed: new String('x') }, '$.boxed'],
      [{ pattern: /x/ }, '$.pattern'],
      [[1, undefined], '$[1]'],
      [undefined, '$'],
    ];
    for (const [value, path] of cases) expectRefusal(value, 'unsupported-type', path);
    expectRefusal({ list: [1, , 3] }, 'unsupported-type', '$.list[1]');
    expect(refusalOf({ when: new Date(0) }).message).toContain('Date');
  });

  it('refuses cycles through objects and arrays', () => {
    const object: Record<string, unknown> = { name: 'loop' };
    object.self = object;
    expectRefusal(object, 'cycle', '$.self');
    const array: unknown[] = [1];
    array.push({ back: array });
    expectRefusal(array, 'cycle', '$[1].back');
  });

  it(`refuses nesting beyond ${CANONICAL_DEPTH_MAX} levels`, () => {
    const error = refusalOf(nest(CANONICAL_DEPTH_MAX + 1));
    expect(error.code).toBe('too-deep');
    expect(error.path).toMatch(/^\$(\[0\]|\.inner){64}$/);
    expect(error.message).toContain(error.path);
  });
});

describe('properties', () => {
  it('round-trips through parseStrictJson (keeping every member name) to the same canonical text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 8 }), (value) => {
        const text = canonicalize(value);
        const parsed = parseStrictJson(text, { prototypeMembers: 'keep' });
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(canonicalize(parsed.value)).toBe(text);
      }),
    );
  });

  it('is idempotent: canonical text parsed with JSON.parse canonicalizes to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('equals JSON.stringify of the same value with members inserted in sorted order', () => {
    // Objects list integer-like names first whatever the insertion order, so such values are skipped.
    const integerLikeName = /^(?:0|[1-9][0-9]*)$/;
    function hasIntegerLikeName(value: unknown): boolean {
      if (Array.isArray(value)) return value.some(hasIntegerLikeName);
      if (typeof value !== 'object' || value === null) return false;
      return Object.entries(value).some(([key, member]) => integerLikeName.test(key) || hasIntegerLikeName(member));
    }
    function sortedCopy(value: unknown): unknown {
      if (Array.isArray(value)) return value.map(sortedCopy);
      if (typeof value !== 'object' || value === null) return value;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) {
        const member = sortedCopy((value as Record<string, unknown>)[key]);
        Object.defineProperty(copy, key, { value: member, enumerable: true, writable: true, configurable: true });
      }
      return copy;
    }
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 8 }), (value) => {
        fc.pre(!hasIntegerLikeName(value));
        expect(canonicalize(value)).toBe(JSON.stringify(sortedCopy(value)));
      }),
    );
  });
});
