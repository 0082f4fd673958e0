/**
 * The tree of blocks above the last committed one (DiemBFT v4's BlockTree). Its root is the
 * committed head (genesis at first); every block in it has its parent in it or is the root's
 * child, and carries the certificate of its parent. Committing moves the root forward and
 * drops every block that does not descend from it. A bounded window of recently committed
 * blocks is kept to answer peers that are a little behind.
 */
import { assert } from '../ledger/assert.js';
import { blockHash, type BlockHeader } from '../ledger/model/block.js';
import type { QuorumCertificate } from '../ledger/model/certificate.js';
import type { BlockRecord, CommittedBlock, ParentCertificate, ProposedBlock } from './messages.js';

export interface TreeBlock {
  hash: string;
  header: BlockHeader;
  payload: Uint8Array;
  /** Certifies this block's parent. */
  justify: ParentCertificate;
}

export interface TreeRoot {
  hash: string;
  height: number;
  round: number;
  timestamp: number;
  /** The committed block itself; null for genesis. */
  block: TreeBlock | null;
  /** The QC on the root; null for genesis. */
  certificate: QuorumCertificate | null;
}

export class BlockTree {
  private readonly blocks = new Map<string, TreeBlock>();
  private readonly children = new Map<string, Set<string>>();
  private readonly recentCommitted = new Map<string, TreeBlock>();

  constructor(
    private rootState: TreeRoot,
    private readonly recentCommittedKept: number,
  ) {}

  get root(): TreeRoot {
    return this.rootState;
  }

  get size(): number {
    return this.blocks.size;
  }

  /** A block in the tree, or the root block itself. */
  get(hash: string): TreeBlock | undefined {
    if (hash === this.rootState.hash) return this.rootState.block ?? undefined;
    return this.blocks.get(hash);
  }

  /** Whether the hash is the root or a block above it. */
  contains(hash: string): boolean {
    return hash === this.rootState.hash || this.blocks.has(hash);
  }

  /** The header of a block in the tree, or of the root (null for the genesis root). */
  headerOf(hash: string): BlockHeader | null | undefined {
    if (hash === this.rootState.hash) return this.rootState.block?.header ?? null;
    return this.blocks.get(hash)?.header;
  }

  /** Inserts a block whose parent is the root or already in the tree. */
  insert(block: ProposedBlock, justify: ParentCertificate): TreeBlock {
    const hash = blockHash(block.header);
    const existing = this.blocks.get(hash);
    if (existing !== undefined) return existing;
    assert(this.contains(block.header.prevHash), `block ${hash} inserted before its parent`);
    assert(block.header.height > this.rootState.height, `block ${hash} is at or below the committed height`);
    const entry: TreeBlock = { hash, header: block.header, payload: block.payload, justify };
    this.blocks.set(hash, entry);
    let siblings = this.children.get(block.header.prevHash);
    if (siblings === undefined) this.children.set(block.header.prevHash, (siblings = new Set()));
    siblings.add(hash);
    return entry;
  }

  /** The uncommitted block a validator proposed in a round, if the tree holds it. */
  findProposal(proposer: string, round: number): TreeBlock | undefined {
    for (const block of this.blocks.values()) if (block.header.proposer === proposer && block.header.round === round) return block;
    return undefined;
  }

  /** Uncommitted blocks from just above the root down to `hash` inclusive, oldest first. */
  pathFromRoot(hash: string): TreeBlock[] {
    const path: TreeBlock[] = [];
    let current = this.blocks.get(hash);
    while (current !== undefined) {
      path.push(current);
      current = this.blocks.get(current.header.prevHash);
    }
    return path.reverse();
  }

  /**
   * Commits every block up to `hash` (which must be in the tree), given the QC on it, and
   * returns them oldest first with the QC on each. Forks that do not descend from it are dropped.
   */
  commit(hash: string, certificate: QuorumCertificate): CommittedBlock[] {
    const path = this.pathFromRoot(hash);
    assert(path.length > 0 && path[path.length - 1]!.hash === hash, `cannot commit ${hash}: not above the root`);
    const committed: CommittedBlock[] = path.map((block, index) => {
      const next = path[index + 1];
      const blockCertificate = next === undefined ? certificate : next.justify;
      assert(blockCertificate !== null && blockCertificate.vote.blockHash === block.hash, 'a committed block lacks the QC on it');
      return { block: { header: block.header, payload: block.payload }, certificate: blockCertificate };
    });
    for (const block of path) this.remember(block);
    const last = path[path.length - 1]!;
    this.setRoot({ hash, height: last.header.height, round: last.header.round, timestamp: last.header.timestamp, block: last, certificate });
    return committed;
  }

  /** Commits a block fetched by catch-up: it must extend the root directly. */
  commitFetched(committedBlock: CommittedBlock, justify: ParentCertificate): void {
    const header = committedBlock.block.header;
    assert(header.prevHash === this.rootState.hash && header.height === this.rootState.height + 1, 'a fetched block does not extend the root');
    const hash = blockHash(header);
    const block: TreeBlock = { hash, header, payload: committedBlock.block.payload, justify };
    this.remember(block);
    this.setRoot({ hash, height: header.height, round: header.round, timestamp: header.timestamp, block, certificate: committedBlock.certificate });
  }

  /** The block and up to `count - 1` ancestors, newest first, from the tree or the recent window. */
  chainEndingAt(hash: string, count: number): BlockRecord[] {
    const records: BlockRecord[] = [];
    let current = hash;
    while (records.length < count) {
      const block = this.blocks.get(current) ?? this.recentCommitted.get(current);
      if (block === undefined) break;
      records.push({ block: { header: block.header, payload: block.payload }, justify: block.justify });
      current = block.header.prevHash;
    }
    return records;
  }

  private remember(block: TreeBlock): void {
    this.recentCommitted.set(block.hash, block);
    while (this.recentCommitted.size > this.recentCommittedKept) {
      const oldest = this.recentCommitted.keys().next();
      if (oldest.done === true) break;
      this.recentCommitted.delete(oldest.value);
    }
  }

  /** Keeps only the blocks that descend from the new root. */
  private setRoot(root: TreeRoot): void {
    const survivors = new Map<string, TreeBlock>();
    const survivingChildren = new Map<string, Set<string>>();
    const stack = [root.hash];
    while (stack.length > 0) {
      const parent = stack.pop()!;
      const children = this.children.get(parent);
      if (children === undefined) continue;
      survivingChildren.set(parent, children);
      for (const child of children) {
        const block = this.blocks.get(child);
        if (block === undefined) continue;
        survivors.set(child, block);
        stack.push(child);
      }
    }
    this.blocks.clear();
    for (const [hash, block] of survivors) this.blocks.set(hash, block);
    this.children.clear();
    for (const [hash, children] of survivingChildren) this.children.set(hash, children);
    this.rootState = root;
  }
}
