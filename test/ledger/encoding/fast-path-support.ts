/**
 * Helpers for the tests of the schema fast paths (ledger/encoding/schema-fast-path.ts and its
 * users): a structural comparison stricter than toEqual (own keys in the same order, the same
 * prototypes, undefined members kept), values at the edges of what JSON, zod and canonicalisation
 * accept, and one-step mutations of a value at a path.
 */
import { expect } from 'vitest';

/** Equal values, and at every level the same own keys in the same order, and the same prototypes. */
export function expectSameStructure(left: unknown, right: unknown, path = '$'): void {
  if (typeof left !== 'object' || left === null) {
    expect(Object.is(left, right), path).toBe(true);
    return;
  }
  expect(typeof right === 'object' && right !== null, path).toBe(true);
  expect(Object.getPrototypeOf(left), path).toBe(Object.getPrototypeOf(right));
  const keys = Reflect.ownKeys(left);
  expect(keys, path).toEqual(Reflect.ownKeys(right as object));
  for (const key of keys) {
    if (key === 'length' && Array.isArray(left)) continue;
    expectSameStructure((left as Record<PropertyKey, unknown>)[key], (right as Record<PropertyKey, unknown>)[key], `${path}.${String(key)}`);
  }
}

/** Values that sit at the edge of what JSON, zod and canonicalisation accept. */
export function exoticValues(): unknown[] {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  const shared = { s: 1 };
  const hidden = { visible: 1 };
  Object.defineProperty(hidden, 'hidden', { value: 2, enumerable: false });
  const symbolic = { a: 1, [Symbol('s')]: 2 };
  const nullPrototype = Object.assign(Object.create(null) as object, { a: 1 });
  const sparse = [1, , 3];
  const withGetter = Object.defineProperty({}, 'g', { get: () => 'got', enumerable: true });
  class Thing {
    a = 1;
  }
  let deep: unknown = 'bottom';
  for (let level = 0; level < 70; level++) deep = [deep];
  let deepObject: unknown = 1;
  for (let level = 0; level < 66; level++) deepObject = { d: deepObject };
  return [
    undefined, null, true, 0, -0, 1.5, -1, 2 ** 53, 2 ** 53 - 1, NaN, Infinity, -Infinity, '', 'x', '\ud800', 'a\udc00b', '\u{1f600}',
    'x'.repeat(129), 'x'.repeat(257), 'x'.repeat(4097), 'UPPER', 'has space', 'a.b', 'a..b', 'a.', '-a', 'a-b', '0x', 'a'.repeat(64), 'a'.repeat(65),
    'custodia-test', 'Custodia-test', 'epcis.capture', 'urn:epc:id:pgln:0614141.00001', '#a', 'a#/:._-b',
    'f'.repeat(64), 'F'.repeat(64), 'f'.repeat(63), 'f'.repeat(128), 'g'.repeat(128),
    [], [1], ['urn:epc:id:pgln:0614141.00001'], ['urn:x:a', 'urn:x:a'], Array.from({ length: 17 }, (_, index) => `p${index}`), sparse,
    {}, { a: 1 }, JSON.parse('{"__proto__": 1}'), { constructor: 1 }, { prototype: 1 }, cycle, [shared, shared], { x: shared, y: shared }, hidden, symbolic, nullPrototype,
    withGetter, new Thing(), new Date(0), new Map(), new Set(), new Uint8Array(2), /re/, () => 1, Symbol('v'), 1n, deep, deepObject,
    Object.assign([1, 2], { extra: 3 }),
  ];
}

/** Every path to a member or element of `value` (objects and arrays only, depth-first, at most `limit`). */
export function pathsOf(value: unknown, limit = 200, prefix: PropertyKey[] = [], out: PropertyKey[][] = []): PropertyKey[][] {
  if (out.length >= limit || typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(value)) {
    if (out.length >= limit) break;
    out.push([...prefix, key]);
    pathsOf((value as Record<string, unknown>)[key], limit, [...prefix, key], out);
  }
  return out;
}

export type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };

/** A copy of `value` with one mutation at `path` (containers on the way are copied, the rest shared). */
export function mutate(value: unknown, path: readonly PropertyKey[], mutation: Mutation): unknown {
  if (path.length === 0) {
    if (mutation.kind === 'set') return mutation.value;
    if (mutation.kind === 'add' && typeof value === 'object' && value !== null) {
      if (Array.isArray(value)) return [...value, mutation.value];
      const copy: Record<string, unknown> = { ...value };
      // Defined, not assigned, so that a __proto__ member is a member.
      Object.defineProperty(copy, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
      return copy;
    }
    return undefined;
  }
  const [head, ...rest] = path;
  const container = value as Record<PropertyKey, unknown>;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    if (rest.length === 0 && mutation.kind === 'delete') copy.splice(Number(head), 1);
    else copy[Number(head)] = mutate(container[head!], rest, mutation);
    return copy;
  }
  const copy: Record<PropertyKey, unknown> = { ...container };
  if (rest.length === 0 && mutation.kind === 'delete') delete copy[head!];
  else copy[head!] = mutate(container[head!], rest, mutation);
  return copy;
}
