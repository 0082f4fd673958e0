import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CANONICAL_DEPTH_MAX, canonicalize } from '../../../ledger/encoding/canonical-json.js';
import { canonicalizePlain } from '../../../ledger/verify/plain-canonical.js';

/** What canonicalize gives for a value: its text, or its refusal's code and message. */
function outcome(serialise: (value: unknown) => string, value: unknown): { text: string } | { refused: string } {
  try {
    return { text: serialise(value) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { refused: `${error instanceof Error ? error.name : 'non-error'} ${String(code)} ${error instanceof Error ? error.message : String(error)}` };
  }
}

function expectSameAsCanonicalize(value: unknown): void {
  expect(outcome(canonicalizePlain, value)).toEqual(outcome(canonicalize, value));
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('canonicalizePlain', () => {
  it('gives canonicalize\'s text for any JSON value parsed from text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        expectSameAsCanonicalize(parsed);
      }),
      { numRuns: 500 },
    );
  });

  it('gives canonicalize\'s text or refusal for arbitrary values, lone surrogates and odd names included', () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withNullPrototype: true, withSparseArray: true, withObjectString: true, withMap: true, withDate: true }), (value) => {
        expectSameAsCanonicalize(value);
      }),
      { numRuns: 500 },
    );
  });

  it('sorts members where the engine keeps integer-like names first', () => {
    const value = JSON.parse('{"b":1,"10":2,"9":3,"a":{"2":0,"10":1}}') as unknown;
    expect(JSON.stringify(value)).not.toBe(canonicalize(value));
    expect(canonicalizePlain(value)).toBe('{"10":2,"9":3,"a":{"10":1,"2":0},"b":1}');
  });

  it('refuses, as canonicalize does, what JSON.stringify would alter', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    class Lot {
      constructor(readonly epc: string) {}
    }
    const refused = [
      JSON.parse('{"quantity":1e999}') as unknown,
      JSON.parse('["\\ud800"]') as unknown,
      JSON.parse('{"\\udc00":1}') as unknown,
      [1, undefined],
      // eslint-disable-next-line no-sparse-arrays
      [1, , 2],
      { when: new Date(0) },
      { lot: new Lot('urn:epc:id:sgtin:0614141.107346.2017') },
      { toJSON: () => 'other' },
      cycle,
      nested(CANONICAL_DEPTH_MAX + 1),
    ];
    for (const value of refused) {
      expect(() => canonicalize(value)).toThrow();
      expectSameAsCanonicalize(value);
    }
  });

  it('writes what canonicalize writes at the depth limit, escapes and surrogate pairs included', () => {
    for (const value of [
      nested(CANONICAL_DEPTH_MAX),
      { text: 'a\\ud800 is six characters, \u0001\n\t"quoted"', pair: '\ud83d\ude00', minusZero: -0, big: 1e21, small: 1e-7 },
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
      // canonicalize leaves an undefined member out, as TypeScript's optional properties need.
      { defined: 1, missing: undefined },
      // canonicalize writes an array's elements whatever else it holds; JSON.stringify would call toJSON.
      Object.assign(['kept'], { toJSON: () => 'other' }),
    ]) {
      expect(() => canonicalize(value)).not.toThrow();
      expectSameAsCanonicalize(value);
    }
  });
});
