/**
 * The key layout of the LevelDB store (docs/encoding.md, "Store layout"). Numbers are
 * fixed-width lowercase hex so that LevelDB's byte order is numeric order; index keys separate
 * their parts with a zero byte, which no escaped component contains.
 */

export const HEIGHT_DIGITS = 16;
const POSITION_DIGITS = 4;
const EVENT_INDEX_DIGITS = 4;

export function fixedHex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

export const storeKeys = {
  formatVersion: 'm:format',
  genesis: 'm:genesis',
  head: 'm:head',
  block: (height: number) => `b:${fixedHex(height, HEIGHT_DIGITS)}`,
  certificate: (height: number) => `q:${fixedHex(height, HEIGHT_DIGITS)}`,
  results: (height: number) => `r:${fixedHex(height, HEIGHT_DIGITS)}`,
  writes: (height: number) => `w:${fixedHex(height, HEIGHT_DIGITS)}`,
  ledgerState: (height: number) => `l:${fixedHex(height, HEIGHT_DIGITS)}`,
  blockHash: (hash: string) => `h:${hash}`,
  transaction: (id: string) => `t:${id}`,
  merkleNode: (level: number, index: number) => `n:${fixedHex(level, 2)}:${fixedHex(index, 12)}`,
  state: (key: string) => `s:${key}`,
  /** The last block of a validator-set epoch (its header carries nextValidators); the value is that epoch's number. */
  epochEnd: (height: number) => `v:${fixedHex(height, HEIGHT_DIGITS)}`,
  epochEndPrefix: 'v:',
  event: (reference: string) => `e:${reference}`,
  index: (name: string, component: string, suffix: string) => `x:${name}\u0000${escapeComponent(component)}\u0000${suffix}`,
  indexPrefix: (name: string, component: string) => `x:${name}\u0000${escapeComponent(component)}\u0000`,
};

/** Events are ordered by (height, position in block, index within the transaction). */
export function eventReference(height: number, position: number, eventIndex: number): string {
  return `${fixedHex(height, HEIGHT_DIGITS)}:${fixedHex(position, POSITION_DIGITS)}:${fixedHex(eventIndex, EVENT_INDEX_DIGITS)}`;
}

/** Keeps zero bytes out of index components: \u0001 escapes itself and \u0000. */
export function escapeComponent(component: string): string {
  // Almost no component holds either byte: one scan instead of two replacing passes.
  if (!NEEDS_ESCAPE.test(component)) return component;
  return component.replace(/\u0001/g, '\u0001\u0002').replace(/\u0000/g, '\u0001\u0001');
}
const NEEDS_ESCAPE = /[\u0000\u0001]/;
