/**
 * The state tree the offline verifier rebuilds from the write sets (docs/encoding.md, section 9),
 * with bounded memory: a LayeredStateTree (ledger/state-tree/layered-tree.ts) whose nodes below
 * the upper levels live in a scratch LevelDB in a temporary folder of its own, removed when the
 * verifier closes it, whatever the verdict. The verifier never reads the store's own state-tree
 * rows: those are pruned to recent heights, and trusting them would not be an independent check.
 * The scratch folder needs about 120-180 bytes of disk a live state key (measured at 167,000 and
 * 1,000,000 keys).
 *
 * Memory: the upper levels (STATE_TREE_MEMORY_DEPTH), the nodes of up to
 * STATE_TREE_PENDING_NODES_MAX changes waiting for their batch (and as many being written), and
 * LevelDB's caches (SCRATCH_CACHE_BYTES, its write buffer); not the tree, whatever its size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { assert } from '../assert.js';
import { decodeNode } from '../state-tree/nodes.js';
import { LayeredStateTree } from '../state-tree/layered-tree.js';
import { removeFolderAtExit } from '../store/read-copy.js';

/**
 * Depths kept in memory for good: depth 0 to 3, at most 4,369 nodes (rows of up to 1.7 KB, 658
 * bytes once their children are internal nodes, as in a large tree: about 5 MB with their objects).
 */
export const STATE_TREE_MEMORY_DEPTH = 4;
/** Node changes gathered before they go to the scratch database in one batch: a block of 200 transactions makes about 1,000. */
export const STATE_TREE_PENDING_NODES_MAX = 16_384;
/** LevelDB's block cache for the scratch database. */
export const SCRATCH_CACHE_BYTES = 32 * 1024 * 1024;
/**
 * LevelDB's max_open_files for the scratch tree: each open table is read through mmap and the
 * pages read stay in the process's RSS, so it is bounded as the ledger store's is
 * (STORE_LIMITS.tablesOpenMax; LevelDB's default is 1,000 tables).
 */
export const SCRATCH_TABLES_OPEN_MAX = 50;

type Scratch = ClassicLevel<string, Uint8Array>;

/**
 * The scratch tree could not be kept (no space or no permission in the temporary folder, an I/O
 * error): a fault of the machine the check runs on, never a finding about the ledger, so callers
 * tell it apart (check-stored-ledger.ts) and `custodia repair` never rebuilds a ledger for it.
 */
export class ScratchStateTreeError extends Error {
  constructor(directory: string, cause: unknown) {
    super(`the scratch state tree in ${directory} cannot be kept: ${cause instanceof Error ? cause.message : String(cause)} (set TMPDIR to a folder with room)`, { cause });
    this.name = 'ScratchStateTreeError';
  }
}

export interface ScratchStateTreeOptions {
  /** The folder the scratch folder is made in; the system's temporary folder by default. */
  parentDirectory?: string;
  /** Depths kept in memory (STATE_TREE_MEMORY_DEPTH by default); tests lower it so nodes go to disk. */
  memoryDepth?: number;
  /** Node changes gathered before a batch (STATE_TREE_PENDING_NODES_MAX by default); tests write one every block. */
  pendingNodesMax?: number;
}

export class ScratchStateTree {
  private writing: Promise<void> | undefined;

  private constructor(
    readonly tree: LayeredStateTree,
    private readonly db: Scratch,
    private readonly directory: string,
    private readonly pendingNodesMax: number,
    private readonly removeOnExit: () => void,
  ) {}

  /** A new, empty tree in a scratch folder of its own. */
  static async open(options: ScratchStateTreeOptions = {}): Promise<ScratchStateTree> {
    const pendingNodesMax = options.pendingNodesMax ?? STATE_TREE_PENDING_NODES_MAX;
    assert(Number.isSafeInteger(pendingNodesMax) && pendingNodesMax >= 1, `a state tree batch of ${pendingNodesMax} nodes`);
    const parent = options.parentDirectory ?? tmpdir();
    const directory = await mkdtemp(join(parent, 'custodia-verify-tree-')).catch((error: unknown) => {
      throw new ScratchStateTreeError(parent, error);
    });
    // A process that ends without closing the tree (an uncaught error, process.exit, a command
    // interrupted: tools/commands/exit-on-interrupt.ts) still removes the folder.
  const removeOnExit = () => removeFolderAtExit(directory);
    process.on('exit', removeOnExit);
    try {
      const db: Scratch = new ClassicLevel<string, Uint8Array>(directory, { keyEncoding: 'utf8', valueEncoding: 'view', cacheSize: SCRATCH_CACHE_BYTES, maxOpenFiles: SCRATCH_TABLES_OPEN_MAX });
      await db.open();
      const tree = new LayeredStateTree(
        {
          get(key) {
            let bytes: Uint8Array | undefined;
            try {
              bytes = db.getSync(key);
            } catch (error) {
              throw new ScratchStateTreeError(directory, error);
            }
            return bytes === undefined ? undefined : decodeNode(bytes);
          },
        },
        options.memoryDepth ?? STATE_TREE_MEMORY_DEPTH,
      );
      return new ScratchStateTree(tree, db, directory, pendingNodesMax, removeOnExit);
    } catch (error) {
      process.off('exit', removeOnExit);
      await rm(directory, { recursive: true, force: true });
      throw new ScratchStateTreeError(directory, error);
    }
  }

  /**
   * After a block: once enough changes wait, starts writing them in one batch, having waited for
   * the previous batch, so that one is written while the verifier goes on and memory stays bounded.
   */
  async afterBlock(): Promise<void> {
    if (this.tree.pendingSize < this.pendingNodesMax) return;
    await this.writing;
    const changes = this.tree.takePending();
    const batch = this.db.batch();
    for (const [key, node] of changes) {
      if (node === null) batch.del(key);
      else batch.put(key, node.bytes);
    }
    // Scratch data: nothing is lost that a rerun would not rebuild, so the batch is not synced.
    this.writing = batch.write({ sync: false }).then(
      () => this.tree.flushed(),
      (error: unknown) => {
        throw new ScratchStateTreeError(this.directory, error);
      },
    );
    // Read where awaited (the next batch, or close), never left unhandled.
    this.writing.catch(() => undefined);
  }

  /** Closes the scratch database and removes its folder. */
  async close(): Promise<void> {
    try {
      await this.writing?.catch(() => undefined);
      await this.db.close();
    } finally {
      process.off('exit', this.removeOnExit);
      await rm(this.directory, { recursive: true, force: true });
    }
  }
}
