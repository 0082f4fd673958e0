/**
 * The size of LevelDB's write buffer (its memtable) for the ledger's store.
 *
 * The rows an append writes gather in memory until this many bytes, then go to a table of their
 * own. Most of what an append writes has keys spread over the whole key space (state-tree nodes,
 * transaction ids, state keys), so every such table overlaps every table of the next level and
 * each flush rewrites that level: the smaller the buffer, the more often. With LevelDB's 4 MiB
 * default, compaction was about a quarter of the CPU of a validator's appends and grew with the
 * ledger (docs/performance.md, "LevelDB's write buffer"). The price is memory: up to two buffers
 * (one being written out) while a validator appends.
 */
export const WRITE_BUFFER_BYTES_DEFAULT = 32 * 2 ** 20;
export const WRITE_BUFFER_BYTES_MIN = 2 ** 20;
export const WRITE_BUFFER_BYTES_MAX = 256 * 2 ** 20;
export const BYTES_PER_MIB = 2 ** 20;
