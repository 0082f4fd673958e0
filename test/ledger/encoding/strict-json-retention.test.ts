/**
 * A value the strict JSON parser returns (ledger/encoding/strict-json.ts) does not keep the text
 * it was parsed from alive: V8 returns a long slice as a view of the whole string, so one kept
 * transaction would keep its whole relay frame (up to 1 MiB) in memory.
 */
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../../ledger/encoding/strict-json.js';
import { retainedHeapBytes } from '../../support/retained-heap.js';

const TEXTS = 40;
const FILLER_CHARACTERS = 1_000_000;

describe('strict JSON values', () => {
  it('keep none of the text they were cut from, with or without escapes', () => {
    const kept: unknown[] = [];
    const retainedBytes = retainedHeapBytes(() => {
      for (let index = 0; index < TEXTS; index++) {
        // Each text is about a megabyte; only two short strings of it are kept.
        const text = JSON.stringify({ filler: 'x'.repeat(FILLER_CHARACTERS), plain: `kept-value-${index}-of-a-message`, escaped: `kept "quoted" value ${index}` });
        const parsed = parseStrictJson(text, { bytesMax: 2 * FILLER_CHARACTERS, stringLengthMax: 2 * FILLER_CHARACTERS });
        if (!parsed.ok) throw new Error(parsed.error.message);
        const value = parsed.value as { plain: string; escaped: string };
        kept.push(value.plain, value.escaped);
      }
      return kept;
    });
    expect(kept[0]).toBe('kept-value-0-of-a-message');
    expect(kept[1]).toBe('kept "quoted" value 0');
    // Views of the texts would keep about TEXTS megabytes; copies keep a few kilobytes.
    expect(retainedBytes).toBeLessThan((TEXTS * FILLER_CHARACTERS) / 4);
  });
});
