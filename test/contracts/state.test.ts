/**
 * The contracts' state view (contracts/state.ts): copies that cannot alias what an earlier
 * transaction wrote, made as structuredClone would make them but for JSON only.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { copyJson, MemoryState, StateOverlay } from '../../contracts/state.js';

const strange = JSON.parse('{"__proto__": {"polluted": true}, "b": [1, {"c": -1}], "a": null, "10": "ten", "2": "two"}') as JsonValue;

describe('copyJson', () => {
  it('copies JSON as structuredClone does: -0, member order, undefined members and an own __proto__ member kept', () => {
    const values: JsonValue[] = [null, true, -0, 0, 1.5, 'text', [], {}, [1, [2, [3]]], strange, { a: undefined } as unknown as JsonValue];
    for (const value of values) {
      const copy = copyJson(value);
      expect(copy).toStrictEqual(structuredClone(value));
      if (typeof value === 'object' && value !== null) {
        expect(copy).not.toBe(value);
        expect(Object.keys(copy as object)).toEqual(Object.keys(value));
      }
    }
    expect(Object.is(copyJson(-0), -0)).toBe(true);
    const copied = copyJson(strange) as Record<string, JsonValue>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(copied, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('shares nothing with the original', () => {
    const original = { list: [{ n: 1 }], nested: { deep: { n: 2 } } };
    const copy = copyJson(original);
    copy.list[0]!.n = 10;
    copy.list.push({ n: 3 });
    copy.nested.deep.n = 20;
    expect(original).toEqual({ list: [{ n: 1 }], nested: { deep: { n: 2 } } });
  });
});

describe('StateOverlay and MemoryState', () => {
  it('return copies, so that changing what was read changes nothing stored or written', async () => {
    const below = new MemoryState();
    below.apply([{ key: 'k', value: { n: 1 } }]);
    const block = new StateOverlay(below);
    const read = (await block.get('k')) as { n: number };
    read.n = 2;
    expect(await below.get('k')).toEqual({ n: 1 });
    expect(await block.get('k')).toEqual({ n: 1 });

    block.set('w', { list: [1] });
    const transaction = block.fork();
    const written = (await transaction.get('w')) as { list: number[] };
    written.list.push(2);
    expect(await block.get('w')).toEqual({ list: [1] });
    expect(block.writeSet()).toEqual([{ key: 'w', value: { list: [1] } }]);
  });
});
