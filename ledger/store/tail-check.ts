/**
 * The check a store runs on open over its last blocks (100 by default): every stored record
 * of each block is re-derived from the others (hashes, prevHash links, transaction roots,
 * ledger entries in the Merkle log, log and state roots, certificates, each under the epoch
 * that certifies its height, and the epoch index), and the first difference is reported with
 * its height. Nothing is repaired: a node that starts on a damaged store could vote for a
 * history it does not actually hold.
 *
 * The state root of a height is re-derived from the stored state tree of the height before and
 * the block's write set, and the nodes the height wrote are compared with those the derivation
 * makes, while that tree is kept (state-tree-rows.ts); below the state floor the
 * whole-ledger verifier (verify-ledger.ts) is what recomputes it. On open that derivation is
 * bounded by writes, not blocks (`stateWritesChecked`): it reads a path of the tree per write,
 * some 30 µs a node on a large ledger, so a hundred blocks of 200 transactions held a validator's
 * start for 17 s at 200,000 events and 35 s at a million, and full blocks would hold it for minutes. The newest heights are derived
 * (the head's always); the older ones in the tail have every other check and their stored roots
 * compared with the recorded ones. A damaged row of their trees that the current tree still uses
 * gives the next append that reads it a state root the chain's later headers contradict, and the
 * store then refuses that append (ledger-roots-mismatch): the validator stops rather than follow
 * a wrong state. The background scrub (scrub.ts) derives a height whenever the tree before it is
 * still kept.
 */
import { equalBytes, toHex } from '../encoding/hex.js';
import type { Block } from '../model/block.js';
import { verifyQuorumCertificate, type QuorumCertificate } from '../model/certificate.js';
import type { TransactionResult } from '../model/result.js';
import type { StateWrite } from '../model/state.js';
import type { ValidatorSet } from '../model/validator-set.js';
import type { EpochHistory } from './epochs.js';
import { rootFromNodes, nodesForRoot, type NodeId, type NodeLookup } from '../merkle/index.js';
import { checkCommittedBlock, headerRootsDiffer, type LedgerState } from '../verify/block-checks.js';
import { encodeNode, prefetchUpdateReads, prepareWrites, updateStateTree, withPrefetched, type Child, type FetchNodes, type StateTreeNodes } from '../state-tree/index.js';
import type { TransactionLocation } from './records.js';

export interface StoreReader {
  ledgerState(height: number): Promise<LedgerState | undefined>;
  block(height: number): Promise<Block | undefined>;
  certificate(height: number): Promise<QuorumCertificate | undefined>;
  results(height: number): Promise<TransactionResult[] | undefined>;
  writes(height: number): Promise<StateWrite[] | undefined>;
  heightOfHash(hash: string): Promise<number | undefined>;
  /**
   * The location records of transactions, in their order, read together (one trip to LevelDB
   * for a block's transactions, not one each); `decode` is called on each as the check reaches it.
   */
  transactionLocations(txIds: readonly string[]): Promise<Array<{ decode(): TransactionLocation } | undefined>>;
  merkleNodes(ids: readonly NodeId[]): Promise<NodeLookup>;
  /** The state tree's nodes (synchronous reads), and the root kept for a height (undefined once pruned). */
  stateTreeNodes: StateTreeNodes;
  /** The same in batches, off the event loop, where a check runs beside a serving validator (the scrub). */
  fetchStateTreeNodes?: FetchNodes;
  stateTreeRoot(height: number): Child | undefined;
  /** The epoch index: each epoch-ending block's height and the number of the epoch it ends, by height. */
  epochEnds(): Promise<Array<{ height: number; epoch: number }>>;
}

export interface TailCheckOptions {
  chainId: string;
  genesisHash: string;
  head: LedgerState;
  blocksChecked: number;
  /**
   * The genesis validators. When given, each tail block's certificate is verified under the
   * epoch of its height (`epochs`); without it signatures are not checked.
   */
  validators?: ValidatorSet | undefined;
  /** The epochs as the store's index records them (loadEpochHistory), checked against the tail blocks. */
  epochs: EpochHistory;
  /**
   * State writes whose tree derivation the check repeats: the newest tail heights whose write sets
   * hold this many together are derived, the head's whatever its size.
   */
  stateWritesChecked: number;
}

export interface TailProblem {
  height: number;
  message: string;
}

export async function checkTail(reader: StoreReader, options: TailCheckOptions): Promise<TailProblem | undefined> {
  const { head } = options;
  if (await reader.block(head.height + 1) !== undefined) {
    return { height: head.height + 1, message: `a block is stored above the recorded head ${head.height}` };
  }
  const genesisState = head.height === 0 ? head : await reader.ledgerState(0);
  if (genesisState === undefined || genesisState.blockHash !== options.genesisHash) {
    return { height: 0, message: `the ledger state at height 0 does not name genesis ${options.genesisHash}` };
  }
  const first = Math.max(1, head.height - options.blocksChecked + 1);
  let firstDerived: number;
  try {
    firstDerived = await firstDerivedHeight(reader, first, head.height, options.stateWritesChecked);
  } catch {
    // An unreadable write set is reported by the check of its height, below.
    firstDerived = first;
  }
  for (let height = first; height <= head.height; height++) {
    let problem: string | undefined;
    try {
      problem = await checkStoredBlock(reader, height, { ...options, deriveStateTree: height >= firstDerived });
    } catch (error) {
      problem = `a stored record cannot be read: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (problem !== undefined) return { height, message: problem };
  }
  return undefined;
}

/**
 * The lowest tail height whose state tree the check derives: the newest heights whose write sets
 * hold at most `stateWritesChecked` writes together, and the head whatever its own.
 */
async function firstDerivedHeight(reader: StoreReader, first: number, headHeight: number, stateWritesChecked: number): Promise<number> {
  let writes = 0;
  for (let height = headHeight; height >= first; height--) {
    const set = await reader.writes(height);
    // A missing or malformed write set counts as none here; the check of its height reports it.
    writes += Array.isArray(set) ? set.length : 0;
    if (writes > stateWritesChecked && height < headHeight) return height + 1;
  }
  return first;
}

/**
 * What checking one stored height needs: the chain, and the validators and epochs its certificates
 * are verified under; `deriveStateTree` false compares the stored state root with the recorded one
 * but does not derive it from the tree before (true by default).
 */
export type StoredBlockCheckOptions = Pick<TailCheckOptions, 'chainId' | 'validators' | 'epochs'> & { deriveStateTree?: boolean };

/**
 * Re-derives every stored record of one committed height from the others (what the tail check
 * runs on each of its blocks, and the background scrub on every block); the first difference.
 */
export async function checkStoredBlock(reader: StoreReader, height: number, options: StoredBlockCheckOptions): Promise<string | undefined> {
  const [previous, state, block, certificate, results, writes] = await Promise.all([
    reader.ledgerState(height - 1),
    reader.ledgerState(height),
    reader.block(height),
    reader.certificate(height),
    reader.results(height),
    reader.writes(height),
  ]);
  if (previous === undefined) return `the ledger state of height ${height - 1} is missing`;
  if (state === undefined) return 'its ledger state is missing';
  if (block === undefined) return 'the block is missing';
  if (certificate === undefined) return 'its certificate is missing';
  if (results === undefined) return 'its results are missing';
  if (writes === undefined) return 'its write set is missing';
  if (!Array.isArray(writes)) return 'its write set is not a list of writes';

  const checked = checkCommittedBlock({ block, certificate, results, writes }, previous, options.chainId);
  if (!checked.ok) return `${checked.code}: ${checked.message}`;
  if (state.blockHash !== checked.hash) return `the recorded block hash ${state.blockHash} differs from the block's hash ${checked.hash}`;
  if ((await reader.heightOfHash(checked.hash)) !== height) return `the hash index does not map ${checked.hash} to this height`;
  const stateProblem = await checkStateTreeHeight(reader, height, state.stateRoot, writes, checked.writeValueTexts, options.deriveStateTree ?? true);
  if (stateProblem !== undefined) return stateProblem;
  if (state.headerLedgerHeight !== block.header.ledgerHeight) return 'the recorded ledgerHeight differs from the header';
  if (state.logSize !== previous.logSize + block.transactions.length) {
    return `the recorded log size ${state.logSize} is not ${previous.logSize} + ${block.transactions.length} transactions`;
  }
  const atLedgerHeight = await reader.ledgerState(block.header.ledgerHeight);
  if (atLedgerHeight === undefined) return `the ledger state at the header's ledgerHeight ${block.header.ledgerHeight} is missing`;
  const rootsDiffer = headerRootsDiffer(block, atLedgerHeight);
  if (rootsDiffer !== undefined) return `header ${rootsDiffer}`;

  const leafIds = checked.leafHashes.map((_, position) => ({ level: 0, index: previous.logSize + position }));
  const nodes = await reader.merkleNodes([...leafIds, ...nodesForRoot(state.logSize)]);
  for (const [position, leaf] of checked.leafHashes.entries()) {
    if (toHex(nodes(leafIds[position]!)) !== toHex(leaf)) {
      return `the Merkle leaf of transaction ${position} (log index ${previous.logSize + position}) differs from its ledger entry`;
    }
  }
  const logRoot = toHex(rootFromNodes(state.logSize, nodes));
  if (logRoot !== state.logRoot) return `the recorded log root ${state.logRoot} differs from the stored Merkle nodes' root ${logRoot}`;

  const locations = await reader.transactionLocations(checked.transactionIds);
  for (const [position, txId] of checked.transactionIds.entries()) {
    const location = locations[position]?.decode();
    if (location === undefined) return `transaction ${txId} has no location record`;
    const own = location.height === height && location.position === position && location.leafIndex === previous.logSize + position;
    const earlierDuplicate = location.height < height;
    if (!own && !earlierDuplicate) return `the location record of transaction ${txId} points at height ${location.height} position ${location.position}`;
  }

  if (block.header.nextValidators !== undefined && !options.epochs.endsAt(height)) {
    return 'its header ends an epoch (nextValidators) but the epoch index does not record it';
  }
  if (options.validators !== undefined) {
    const epoch = options.epochs.at(height);
    const verdict = verifyQuorumCertificate(certificate, epoch.validators, options.chainId, epoch.number);
    if (!verdict.ok) return `its certificate fails: ${verdict.code}: ${verdict.message} (epoch ${epoch.number}, from height ${epoch.startHeight})`;
  }
  return undefined;
}

/**
 * The stored state tree of `height` against the recorded state root, and, when `derive` is set
 * and the tree of the height before is kept, the root re-derived from it and the write set. Given batched reads, the
 * nodes are read a depth at a time, then the height's own rows in one batch, so that a check
 * running beside a serving validator (the scrub) holds its event loop only for the hashing.
 */
async function checkStateTreeHeight(reader: StoreReader, height: number, stateRoot: string, writes: readonly StateWrite[], valueTexts: readonly string[], derive: boolean): Promise<string | undefined> {
  const stored = reader.stateTreeRoot(height);
  if (stored === undefined) return undefined;
  if (toHex(stored.hash) !== stateRoot) return `the state tree's root ${toHex(stored.hash)} differs from the recorded state root ${stateRoot}`;
  if (!derive) return undefined;
  const before = reader.stateTreeRoot(height - 1);
  if (before === undefined) return undefined;
  const prepared = prepareWrites(writes, valueTexts);
  const fetch = reader.fetchStateTreeNodes;
  // Batched reads wait, and an append may meanwhile prune the tree of height - 1 (when it was the
  // oldest kept). A node missing or different then is the pruning's doing, not damage; while that
  // tree is kept, every node the check reads (of it, or written at this height) is kept too.
  const prunedMeanwhile = () => fetch !== undefined && reader.stateTreeRoot(height - 1) === undefined;
  let update: ReturnType<typeof updateStateTree>;
  try {
    const nodes = fetch === undefined ? reader.stateTreeNodes : withPrefetched(await prefetchUpdateReads(before, prepared, fetch), reader.stateTreeNodes);
    update = updateStateTree(nodes, before, height, prepared);
  } catch (error) {
    if (prunedMeanwhile()) return undefined;
    throw error;
  }
  const derived = toHex(update.root.hash);
  if (derived !== stateRoot) return prunedMeanwhile() ? undefined : `the recorded state root ${stateRoot} differs from the one its write set gives, ${derived}`;
  // The height's own rows: each node it wrote, as its write set gives it.
  const created = update.changes.created;
  const written = fetch === undefined ? undefined : await fetch(created);
  for (const [index, node] of created.entries()) {
    const stored = written === undefined ? reader.stateTreeNodes.node(node.position, node.version) : written[index];
    if (stored === undefined || !equalBytes(encodeNode(stored), encodeNode(node.node))) {
      if (prunedMeanwhile()) return undefined;
      return `the state tree node at depth ${node.position.depth} written at this height is ${stored === undefined ? 'missing' : 'not the one its write set gives'}, under the recorded state root ${stateRoot}`;
    }
  }
  return undefined;
}
