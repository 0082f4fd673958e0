/**
 * The schema fast path (ledger/encoding/schema-fast-path.ts), kind by kind of zod schema:
 * whenever it answers, zod accepts the same input and returns a value of the same structure
 * (members, order, prototypes, undefined members), on random inputs (fast-check's `anything`,
 * exotic objects included), values at the edges, and objects built from the schema's own member
 * names; it answers for ordinary valid input; and a schema kind it does not know gives no fast
 * path at all rather than a guess.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileSchemaFastPath, plainJsonCopy, UNSURE } from '../../../ledger/encoding/schema-fast-path.js';
import { exoticValues, expectSameStructure } from './fast-path-support.js';

const DEPTH_MAX = 16;

function compiled(schema: z.ZodType, special?: ReadonlyMap<z.ZodType, ReturnType<typeof plainJsonCopy>>): (input: unknown) => unknown {
  const fast = compileSchemaFastPath(schema, { depthMax: DEPTH_MAX, ...(special === undefined ? {} : { special }) });
  expect(fast).toBeDefined();
  return fast!;
}

/** Whether the fast path answered; when it did, zod must accept with the same structure. */
/** A message for any input: String() itself throws on an object whose toString is not a function (JSON's {"toString": {}}). */
function describeInput(input: unknown): string {
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return Object.prototype.toString.call(input);
  }
}

function agrees(schema: z.ZodType, fast: (input: unknown) => unknown, input: unknown): boolean {
  const answer = fast(input);
  if (answer === UNSURE) return false;
  const zod = schema.safeParse(input);
  expect(zod.success, `zod refused what the fast path accepted: ${describeInput(input)}`).toBe(true);
  if (zod.success) expectSameStructure(answer, zod.data);
  return true;
}

const json = z.json();
const anything = fc.anything({
  maxDepth: 3,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withObjectString: true,
  key: fc.constantFrom('a', 'b', 'kind', 'n', 't', 'x', 'extra', '__proto__', 'constructor', 'acme:x', 'https://e.com/y'),
});

/** Objects made of a schema's member names (and a few others), with values from `values`. */
function objectsOf(keys: string[], values: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.constantFrom(...keys, 'extra', '__proto__'), values, { maxKeys: keys.length + 2 });
}

const small = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -3, max: 12 }), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constantFrom('a', 'b', 'k', 'A', 'ab', 'abc', 'abcdef', 'x'));

const refuseBig = (value: { n: number }, context: z.RefinementCtx) => {
  if (value.n > 5) context.addIssue({ code: 'custom', message: 'is too big', path: ['n'] });
};

const cases: Array<{ name: string; schema: z.ZodType; inputs: fc.Arbitrary<unknown>; valid: unknown[]; special?: ReadonlyMap<z.ZodType, ReturnType<typeof plainJsonCopy>> }> = [
  { name: 'a string with lengths and a pattern', schema: z.string().min(2).max(5).regex(/^[a-z]+$/), inputs: small, valid: ['ab', 'abcde'] },
  { name: 'a refined string', schema: z.string().refine((text) => !text.includes('x'), 'no x'), inputs: small, valid: ['ab'] },
  { name: 'a bounded integer', schema: z.number().int().min(0).max(10), inputs: small, valid: [0, 10] },
  { name: 'booleans, null, literals and enums', schema: z.union([z.boolean(), z.null(), z.literal(['A', 1]), z.enum(['a', 'b'])]), inputs: small, valid: [true, null, 'A', 1, 'b'] },
  {
    name: 'a strict object with an optional member',
    schema: z.strictObject({ a: z.string(), b: z.number().optional() }),
    inputs: objectsOf(['a', 'b'], small),
    valid: [{ a: 'x' }, { a: 'x', b: 1 }, { b: 2, a: 'y' }, { a: 'x', b: undefined }],
  },
  { name: 'an object that drops unknown members', schema: z.object({ a: z.string() }), inputs: objectsOf(['a'], small), valid: [{ a: 'x', extra: 1 }] },
  {
    name: 'an object with a catchall and a refinement that has a condition',
    schema: z
      .object({ kind: z.literal('k'), n: z.number() })
      .catchall(z.number())
      .superRefine(refuseBig, { when: (payload) => typeof payload.value === 'object' }),
    inputs: objectsOf(['kind', 'n'], small),
    valid: [{ kind: 'k', n: 1 }, { n: 2, kind: 'k', extra: 3 }],
  },
  { name: 'a bounded array', schema: z.array(z.string()).min(1).max(3), inputs: fc.array(small, { maxLength: 4 }), valid: [['a'], ['a', 'b', 'c']] },
  { name: 'a record', schema: z.record(z.string().max(3), z.number()), inputs: objectsOf(['a', 'abcd', 'n'], small), valid: [{ a: 1, n: 2 }] },
  { name: 'a union of different types', schema: z.union([z.string(), z.array(z.number())]), inputs: fc.oneof(small, fc.array(small, { maxLength: 3 })), valid: ['s', [1, 2]] },
  { name: 'a union whose options overlap', schema: z.union([z.string().max(2), z.string().min(1)]), inputs: small, valid: ['ab'] },
  {
    name: 'a discriminated union',
    schema: z.discriminatedUnion('t', [z.object({ t: z.literal('a'), x: z.string() }), z.strictObject({ t: z.literal('b') })]),
    inputs: objectsOf(['t', 'x'], fc.oneof(small, fc.constantFrom('a', 'b'))),
    valid: [{ t: 'a', x: 'y' }, { t: 'b' }],
  },
  { name: 'a custom check', schema: z.custom<string>((value) => typeof value === 'string' && value.length < 3), inputs: small, valid: ['ab'] },
  { name: 'z.json() through its hand-written fast path', schema: json, special: new Map([[json, plainJsonCopy(DEPTH_MAX)]]), inputs: fc.oneof(fc.jsonValue({ maxDepth: 3 }), small), valid: [{ a: [1, 'b', null, { c: true }] }] },
];

describe('the schema fast path', () => {
  it.each(cases)('answers only what zod accepts, with the same structure: $name', ({ schema, inputs, valid, special }) => {
    const fast = compiled(schema, special);
    for (const input of valid) expect(agrees(schema, fast, input), JSON.stringify(input)).toBe(true);
    for (const input of exoticValues()) agrees(schema, fast, input);
    fc.assert(fc.property(fc.oneof(inputs, anything), (input) => void agrees(schema, fast, input)), { numRuns: 400 });
  });

  it('is UNSURE past its depth, and for objects it cannot copy faithfully', () => {
    const nested = z.array(z.array(z.array(z.number())));
    const fast = compileSchemaFastPath(nested, { depthMax: 2 })!;
    expect(fast([[[1]]])).toBe(UNSURE);
    expect(compileSchemaFastPath(nested, { depthMax: 3 })!([[[1]]])).toEqual([[[1]]]);
    const object = compiled(z.record(z.string(), z.number()));
    expect(object(Object.assign(Object.create(null) as object, { a: 1 }))).toBe(UNSURE);
    expect(object({ a: 1, [Symbol('s')]: 2 })).toBe(UNSURE);
    expect(object(JSON.parse('{"__proto__": 1}'))).toBe(UNSURE);
  });

  it('gives no fast path for a schema kind it does not know', () => {
    for (const schema of [z.string().transform((text) => text.length), z.object({ a: z.number().default(1) }), z.coerce.number(), z.date(), z.json(), z.looseObject({ a: z.string() }), z.xor([z.string(), z.number()])]) {
      expect(compileSchemaFastPath(schema, { depthMax: DEPTH_MAX })).toBeUndefined();
    }
  });
});

describe('the fast path on JSON whose member is named toString', () => {
  // fc.jsonValue made {"toString": {}}: String() of it throws, which once broke the property's own message.
  it('copies it as zod does', () => {
    const input = JSON.parse('[{"toString":{}}]') as unknown;
    expect(agrees(json, compiled(json, new Map([[json, plainJsonCopy(DEPTH_MAX)]])), input)).toBe(true);
  });
});
