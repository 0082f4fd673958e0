/**
 * A monitor's view of a tiled log (c2sp.org/tlog-tiles): fetches the hash tiles and entry
 * bundles a node serves and answers any stored-node lookup the RFC 9162 proof code needs
 * (ledger/merkle/proofs.ts), so an auditor builds inclusion and consistency proofs itself from
 * the standard tiles instead of trusting a proof endpoint. Every hash read here is untrusted: it
 * only counts once a proof built from it verifies against a signed root.
 *
 * A node at tree level k = 8l + r (r < 8) is the hash of 2^r consecutive hashes of level-l tile
 * hashes, recomputed here; tiles are fetched with the width the tree of `size` leaves gives them.
 */
import { nodeHash, type Hash, type NodeId } from '../../ledger/merkle/index.js';
import { decodeEntryBundle, decodeTile, tilePath, tileWidthAt, TILE_HEIGHT, TILE_WIDTH } from '../../ledger/tlog/tiles.js';
import { boundedFetch } from '../../node/tlog/bounded-fetch.js';

export const TILE_FETCH = {
  timeoutMs: 10_000,
  /** A full hash tile is 8 KiB. */
  tileBytesMax: TILE_WIDTH * 32,
  /** A full bundle: 256 entries of at most 64 KiB each (Custodia's are well under 2 KiB). */
  bundleBytesMax: TILE_WIDTH * (2 + 0xffff),
  /** Tiles kept in memory by one client. */
  tilesCached: 4096,
} as const;

export class TileFetchError extends Error {
  override name = 'TileFetchError';
}

export class TileClient {
  readonly #tiles = new Map<string, Hash[]>();

  constructor(
    readonly baseUrl: string,
    /** The tree size the tiles are read for: widths of partial tiles follow from it. */
    readonly size: number,
  ) {}

  /** Fetches every tile the given nodes need; then `lookup` answers them synchronously. */
  async prepare(ids: readonly NodeId[]): Promise<void> {
    const wanted = new Map<string, { level: number; index: number }>();
    for (const id of ids) {
      const level = Math.floor(id.level / TILE_HEIGHT);
      const first = id.index * 2 ** (id.level - level * TILE_HEIGHT);
      const tile = { level, index: Math.floor(first / TILE_WIDTH) };
      const key = `${tile.level}/${tile.index}`;
      if (!this.#tiles.has(key)) wanted.set(key, tile);
    }
    await Promise.all([...wanted.values()].map((tile) => this.#fetchTile(tile.level, tile.index)));
  }

  readonly lookup = (id: NodeId): Hash => {
    const level = Math.floor(id.level / TILE_HEIGHT);
    const within = id.level - level * TILE_HEIGHT;
    const span = 2 ** within;
    const first = id.index * span;
    const hashes = this.#tiles.get(`${level}/${Math.floor(first / TILE_WIDTH)}`);
    const offset = first % TILE_WIDTH;
    if (hashes === undefined || offset + span > hashes.length) throw new TileFetchError(`node ${id.level}/${id.index} is not in the fetched tiles`);
    let row = hashes.slice(offset, offset + span);
    while (row.length > 1) row = Array.from({ length: row.length / 2 }, (_, position) => nodeHash(row[2 * position]!, row[2 * position + 1]!));
    return row[0]!;
  };

  /** The entries of leaves [start, end) (at most one bundle's worth beyond `start`'s bundle is read at a time). */
  async entries(start: number, end: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let bundle = Math.floor(start / TILE_WIDTH); bundle * TILE_WIDTH < end; bundle++) {
      const width = tileWidthAt(0, bundle, this.size);
      const bytes = await this.#get(tilePath({ level: 'entries', index: bundle, width }), TILE_FETCH.bundleBytesMax);
      const entries = decodeEntryBundle(bytes, width);
      if (entries === undefined) throw new TileFetchError(`entry bundle ${bundle} is not ${width} length-prefixed entries`);
      for (const [offset, entry] of entries.entries()) {
        const leaf = bundle * TILE_WIDTH + offset;
        if (leaf >= start && leaf < end) out.push(entry);
      }
    }
    return out;
  }

  async #fetchTile(level: number, index: number): Promise<void> {
    const width = tileWidthAt(level, index, this.size);
    if (width === 0) throw new TileFetchError(`tile ${level}/${index} does not exist in a tree of ${this.size}`);
    const hashes = decodeTile(await this.#get(tilePath({ level, index, width }), TILE_FETCH.tileBytesMax), width);
    if (hashes === undefined) throw new TileFetchError(`tile ${level}/${index} is not ${width} hashes`);
    if (this.#tiles.size >= TILE_FETCH.tilesCached) this.#tiles.delete(this.#tiles.keys().next().value!);
    this.#tiles.set(`${level}/${index}`, hashes);
  }

  async #get(path: string, bytesMax: number): Promise<Uint8Array> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/tlog/${path}`;
    const answer = await boundedFetch(url, { timeoutMs: TILE_FETCH.timeoutMs, bytesMax });
    if (!answer.ok) throw new TileFetchError(answer.message);
    if (answer.status !== 200) throw new TileFetchError(`${url} answered ${answer.status}`);
    return answer.body;
  }
}
