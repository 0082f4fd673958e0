/**
 * A value the strict JSON parser returns (ledger/encoding/strict-json.ts) does not keep the text
 * it was parsed from alive: V8 returns a long slice as a view of the whole string, so one kept
 * transaction would keep its whole relay frame (up to 1 MiB) in memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../../ledger/encoding/strict-json.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const TEXTS = 40;
const FILLER_CHARACTERS = 1_000_000;

describe('strict JSON values', () => {
  it('keep none of the text they were cut from, with or without escapes', () => {
    const kept: unknown[] = [];
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let index = 0; index < TEXTS; index++) {
      // Each text is about a megabyte; only two short strings of it are kept.
      const text = JSON.stringify({ filler: 'x'.repeat(FILLER_CHARACTERS), plain: `kept-value-${index}-of-a-message`, escaped: `kept "quoted" value ${index}` });
      const parsed = parseStrictJson(text, { bytesMax: 2 * FILLER_CHARACTERS, stringLengthMax: 2 * FILLER_CHARACTERS });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const value = parsed.value as { plain: string; escaped: string };
      kept.push(value.plain, value.escaped);
    }
    collectGarbage();
    const retainedBytes = process.memoryUsage().heapUsed - before;
    expect(kept[0]).toBe('kept-value-0-of-a-message');
    expect(kept[1]).toBe('kept "quoted" value 0');
    // Views of the texts would keep about TEXTS megabytes; copies keep a few kilobytes.
    expect(retainedBytes).toBeLessThan((TEXTS * FILLER_CHARACTERS) / 4);
  });
});
