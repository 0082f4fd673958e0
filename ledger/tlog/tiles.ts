/**
 * Tiled transparency logs (c2sp.org/tlog-tiles, "Merkle Tree", "Partial Tiles", "Log
 * entries"): the Merkle tree served as tiles of tile height 8. Tile `n` at level `l` holds, for
 * i in 0..255, MTH(D[(n*256 + i) * 256^l : (n*256 + i + 1) * 256^l]) — exactly the stored node
 * at tree level 8l and index n*256 + i (ledger/merkle/nodes.ts), so a tile is read, never
 * computed. Paths are `tile/<L>/<N>[.p/<W>]` with N in zero-padded three-digit elements, all but
 * the last prefixed with `x` (1234067 is `x001/x234/067`); entry bundles at
 * `tile/entries/<N>[.p/<W>]` are the level-0 tile's entries, each a big-endian uint16 length
 * and the entry's bytes (for Custodia, the RFC 9162 leaf input: the canonical ledger entry).
 */
import { HASH_BYTES, type Hash, type NodeId } from '../merkle/index.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Tile levels 0..63 (tlog-tiles "Merkle Tree"); a 2^48-leaf log needs only levels 0..5. */
export const TILE_LEVEL_MAX = 63;
/** Bytes of one entry in a bundle: its uint16 length prefix bounds it. */
export const BUNDLE_ENTRY_BYTES_MAX = 0xffff;
/** Tile indices are bounded by the log's size, at most 2^48 leaves. */
const TILE_INDEX_MAX = 2 ** 48;

export interface TileId {
  /** `entries` for an entry bundle, else the tile level. */
  level: number | 'entries';
  index: number;
  /** 1..256; 256 is a full tile (no `.p/` suffix). */
  width: number;
}

/** `x001/x234/067` for 1234067 (tlog-tiles "Merkle Tree"). */
export function encodeTileIndex(index: number): string {
  let digits = String(index);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let position = 0; position < digits.length; position += 3) groups.push(digits.slice(position, position + 3));
  return groups.map((group, position) => (position < groups.length - 1 ? `x${group}` : group)).join('/');
}

export function tilePath(tile: TileId): string {
  const level = tile.level === 'entries' ? 'entries' : String(tile.level);
  return `tile/${level}/${encodeTileIndex(tile.index)}${tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`}`;
}

/**
 * Parses the path after `tile/`, split at `/`. Only the canonical spelling of each tile is
 * accepted (no extra leading groups of zeros, no leading zeros in L or W), so one tile has one
 * URL and caches hold it once.
 */
export function parseTilePath(segments: readonly string[]): TileId | undefined {
  if (segments.length < 2 || segments.length > 12) return undefined;
  const [levelText, ...rest] = segments as [string, ...string[]];
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (/^(?:0|[1-9][0-9]?)$/.test(levelText) && Number(levelText) <= TILE_LEVEL_MAX) level = Number(levelText);
  else return undefined;
  let width = TILE_WIDTH;
  let indexSegments = rest;
  const last = rest[rest.length - 1]!;
  const partialMarker = rest.length >= 2 ? rest[rest.length - 2]! : '';
  if (partialMarker.endsWith('.p')) {
    if (!/^(?:[1-9][0-9]{0,2})$/.test(last) || Number(last) >= TILE_WIDTH) return undefined;
    width = Number(last);
    indexSegments = [...rest.slice(0, -2), partialMarker.slice(0, -2)];
  }
  let digits = '';
  for (const [position, segment] of indexSegments.entries()) {
    const pattern = position < indexSegments.length - 1 ? /^x[0-9]{3}$/ : /^[0-9]{3}$/;
    if (!pattern.test(segment)) return undefined;
    digits += position < indexSegments.length - 1 ? segment.slice(1) : segment;
  }
  const index = Number(digits);
  if (!Number.isSafeInteger(index) || index > TILE_INDEX_MAX || encodeTileIndex(index) !== indexSegments.join('/')) return undefined;
  return { level, index, width };
}

/** How many hashes the tile (level, index) holds in a tree of `size` leaves: 0 when it does not exist yet. */
export function tileWidthAt(level: number, index: number, size: number): number {
  const perHash = TILE_WIDTH ** level;
  const hashesAtLevel = Math.floor(size / perHash);
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - index * TILE_WIDTH));
}

/** Whether a tree of `size` leaves holds the hashes of this tile (a partial tile of width W is the prefix of the full one). */
export function tileExists(tile: TileId, size: number): boolean {
  const level = tile.level === 'entries' ? 0 : tile.level;
  return tileWidthAt(level, tile.index, size) >= tile.width;
}

/** The stored Merkle nodes whose hashes make the tile, in tile order. */
export function tileNodes(level: number, index: number, width: number): NodeId[] {
  return Array.from({ length: width }, (_, offset) => ({ level: level * TILE_HEIGHT, index: index * TILE_WIDTH + offset }));
}

/** The leaf range [start, end) an entry bundle of this width covers. */
export function bundleRange(index: number, width: number): { start: number; end: number } {
  return { start: index * TILE_WIDTH, end: index * TILE_WIDTH + width };
}

export function encodeTile(hashes: readonly Hash[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_BYTES);
  for (const [position, hash] of hashes.entries()) out.set(hash, position * HASH_BYTES);
  return out;
}

/** The hashes of a tile body; undefined unless it is exactly `width` hashes. */
export function decodeTile(bytes: Uint8Array, width: number): Hash[] | undefined {
  if (bytes.length !== width * HASH_BYTES) return undefined;
  return Array.from({ length: width }, (_, position) => bytes.slice(position * HASH_BYTES, (position + 1) * HASH_BYTES));
}

export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const entry of entries) {
    if (entry.length > BUNDLE_ENTRY_BYTES_MAX) throw new RangeError(`an entry of ${entry.length} bytes does not fit a bundle's uint16 length`);
    length += 2 + entry.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const entry of entries) {
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 255;
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

/** The entries of a bundle; undefined unless it is exactly `count` length-prefixed entries. */
export function decodeEntryBundle(bytes: Uint8Array, count: number): Uint8Array[] | undefined {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (entries.length === count || offset + 2 > bytes.length) return undefined;
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    if (offset + 2 + length > bytes.length) return undefined;
    entries.push(bytes.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return entries.length === count ? entries : undefined;
}
