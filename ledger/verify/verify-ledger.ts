/**
 * Offline re-verification of a whole ledger from genesis (what `custodia verify --data` runs).
 * Trusting nothing stored but the blocks themselves, it recomputes every block hash and link,
 * every transaction's signatures, the Merkle log and the state tree (rebuilt from the write sets
 * in a scratch database, its upper levels and recent changes in memory: scratch-state-tree.ts,
 * so memory does not grow with the state), checks every
 * certificate against the validator set of its height's epoch (the genesis set, then each set a
 * committed block hands over to with `nextValidators`), and compares all of it with what the
 * store recorded, its epoch index included. It stops at the first failure and names the height.
 */
import { assert } from '../assert.js';
import { toHex } from '../encoding/hex.js';
import { verifyQuorumCertificate } from '../model/certificate.js';
import { epochAfter, genesisEpoch, type Epoch } from '../model/epoch.js';
import { genesisHash, type Genesis } from '../model/genesis.js';
import { isCanonicalWriteSet } from '../model/state.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { EMPTY_ROOT, MerkleFrontier } from '../merkle/index.js';
import type { StoreReader } from '../store/tail-check.js';
import { checkCommittedBlock, headerRootsDiffer, stateAfterBlock, type LedgerState } from './block-checks.js';
import { decodeRecord } from '../store/records.js';
import type { Block } from '../model/block.js';
import { checkBlockTransactions, type BlockTransactionChecks } from './transaction-checks.js';
import { TRANSACTION_CHECK_WORKERS_MAX, TransactionChecksPool } from './transaction-checks-pool.js';
import { ScratchStateTree, type ScratchStateTreeOptions } from './scratch-state-tree.js';
import { availableParallelism } from 'node:os';

export interface LedgerSummary {
  ok: true;
  chainId: string;
  height: number;
  headHash: string;
  transactions: number;
  accepted: number;
  rejected: number;
  logSize: number;
  logRoot: string;
  stateRoot: string;
  /** The validator-set epoch after the head (0 when the genesis set never changed): the number of hand-overs. */
  epoch: number;
  /** The first height that epoch's set certifies. */
  epochStartHeight: number;
  /** How many validators that set has. */
  epochValidators: number;
}

export type LedgerVerification = LedgerSummary | { ok: false; height: number; message: string };

export interface VerifyLedgerInput {
  reader: StoreReader;
  genesis: Genesis;
  /** The genesis validator set (epoch 0); later sets are taken from the chain's hand-overs. */
  validators: ValidatorSet;
  headHeight: number;
  onProgress?: (height: number, headHeight: number) => void;
  /**
   * Threads that check the blocks' transactions (shape, ids, signatures) ahead of the walk
   * (transaction-checks-pool.ts); 0 or 1 checks them inline. By default every core, for a chain
   * of PARALLEL_FROM_BLOCKS blocks or more.
   */
  transactionCheckWorkers?: number;
  /** Where the rebuilt state tree is kept while the walk runs, and how much of it stays in memory (scratch-state-tree.ts). */
  scratch?: ScratchStateTreeOptions;
}

/** Chains shorter than this verify inline: starting threads would cost more than it saves. */
export const PARALLEL_FROM_BLOCKS = 64;

export async function verifyLedger(input: VerifyLedgerInput): Promise<LedgerVerification> {
  // The state tree rebuilt from the write sets, in a scratch database of its own: removed whatever the verdict.
  const scratch = await ScratchStateTree.open(input.scratch);
  try {
    return await walkLedger(input, scratch);
  } finally {
    await scratch.close();
  }
}

async function walkLedger(input: VerifyLedgerInput, scratch: ScratchStateTree): Promise<LedgerVerification> {
  const { reader, genesis, validators, headHeight } = input;
  const chainId = genesis.chainId;
  const fail = (height: number, message: string): LedgerVerification => ({ ok: false, height, message });
  const stateTree = scratch.tree;

  const writes0 = await reader.writes(0);
  const stored0 = await reader.ledgerState(0);
  if (writes0 === undefined || stored0 === undefined) return fail(0, 'the genesis state is missing');
  if (!isCanonicalWriteSet(writes0)) return fail(0, 'the genesis write set is not sorted by key');
  let previous: LedgerState = {
    height: 0,
    blockHash: genesisHash(genesis),
    logSize: 0,
    logRoot: toHex(EMPTY_ROOT),
    stateRoot: stateTree.apply(writes0),
    headerLedgerHeight: 0,
  };
  const storedDiffers = compareStates(stored0, previous);
  if (storedDiffers !== undefined) return fail(0, storedDiffers);
  let epoch: Epoch = genesisEpoch(genesis.validators, validators);
  // The store's index of epoch-ending blocks, compared with the headers as the walk meets them.
  const indexedEnds = new Map((await reader.epochEnds()).map((end) => [end.height, end.epoch]));

  // Headers may name any committed height from their parent's ledgerHeight on, so keep just those.
  const recent = new Map<number, LedgerState>([[0, previous]]);
  const frontier = MerkleFrontier.empty();
  let transactions = 0;
  let accepted = 0;

  const workers = input.transactionCheckWorkers ?? (headHeight >= PARALLEL_FROM_BLOCKS ? Math.min(availableParallelism(), TRANSACTION_CHECK_WORKERS_MAX) : 0);
  const pool = workers > 1 ? TransactionChecksPool.start(workers) : undefined;
  // The records of the next blocks are read, and their transactions checked on the pool's threads, while this one is checked.
  const records = readAhead(reader, headHeight, pool === undefined ? undefined : (record) => pool.check(chainId, record));
  try {
    for (let height = 1; height <= headHeight; height++) {
      const [block, certificate, results, writes, stored, pooledChecks] = await records.next(height);
      if (block === undefined || certificate === undefined || results === undefined || writes === undefined || stored === undefined) {
        return fail(height, 'the block, its certificate, results, write set or ledger state is missing');
      }
      // Each transaction's stateless checks give its id and txRoot leaf; the block checks take those rather than hash every body twice.
      const transactionChecks = pooledChecks === undefined ? checkBlockTransactions(block.transactions, chainId) : await pooledChecks;
      const given = transactionChecks.ids === undefined ? {} : { transactionIds: transactionChecks.ids, transactionLeaves: transactionChecks.leaves };
      const checked = checkCommittedBlock({ block, certificate, results, writes }, previous, chainId, given);
      if (!checked.ok) return fail(height, `${checked.code}: ${checked.message}`);
      const verdict = verifyQuorumCertificate(certificate, epoch.validators, chainId, epoch.number);
      if (!verdict.ok) return fail(height, `certificate ${verdict.code}: ${verdict.message} (under epoch ${epoch.number}, whose set certifies heights from ${epoch.startHeight})`);
      const next = epochAfter(epoch, block.header);
      if (!next.ok) return fail(height, next.message);
      const indexed = indexedEnds.get(height);
      if (block.header.nextValidators !== undefined && indexed !== epoch.number) {
        return fail(height, indexed === undefined ? `the block ends epoch ${epoch.number} but the store's epoch index does not record it` : `the store's epoch index records the end of epoch ${indexed}, not ${epoch.number}`);
      }
      if (block.header.nextValidators === undefined && indexed !== undefined) return fail(height, "the store's epoch index names this block, but its header carries no nextValidators");
      // The transactions come next in the order of checks.
      if (transactionChecks.failure !== undefined) return fail(height, transactionChecks.failure);
      const atLedgerHeight = recent.get(block.header.ledgerHeight);
      if (atLedgerHeight === undefined) return fail(height, `ledgerHeight ${block.header.ledgerHeight} is not a height this chain has reached`);
      const rootsDiffer = headerRootsDiffer(block, atLedgerHeight);
      if (rootsDiffer !== undefined) return fail(height, `header ${rootsDiffer}`);

      for (const leaf of checked.leafHashes) frontier.append(leaf);
      const state = stateAfterBlock(block, checked, frontier, stateTree.apply(writes, checked.writeValueTexts));
      const differs = compareStates(stored, state);
      if (differs !== undefined) return fail(height, differs);
      await scratch.afterBlock();

      transactions += results.length;
      accepted += results.filter((result) => result.status === 'accepted').length;
      recent.set(height, state);
      for (const kept of recent.keys()) if (kept < block.header.ledgerHeight) recent.delete(kept);
      previous = state;
      epoch = next.epoch;
      input.onProgress?.(height, headHeight);
    }
  } finally {
    await records.stop();
    await pool?.close();
  }
  for (const height of indexedEnds.keys()) {
    if (height > headHeight || height < 1) return fail(height, `the store's epoch index names height ${height}, which holds no committed block`);
  }

  return {
    ok: true,
    chainId,
    height: previous.height,
    headHash: previous.blockHash,
    transactions,
    accepted,
    rejected: transactions - accepted,
    logSize: previous.logSize,
    logRoot: previous.logRoot,
    stateRoot: previous.stateRoot,
    epoch: epoch.number,
    epochStartHeight: epoch.startHeight,
    epochValidators: epoch.validators.size,
  };
}

type BlockRecords = [
  Block | undefined,
  Awaited<ReturnType<StoreReader['certificate']>>,
  Awaited<ReturnType<StoreReader['results']>>,
  Awaited<ReturnType<StoreReader['writes']>>,
  Awaited<ReturnType<StoreReader['ledgerState']>>,
  /** The block's transaction checks, made on another thread while the walk reached it; undefined when the walk makes them itself. */
  Promise<BlockTransactionChecks> | undefined,
];

/**
 * Blocks whose records are read ahead of the one being checked, their transactions checked on
 * the pool's threads meanwhile: a bound on what waits in memory, and enough that the threads are
 * not idle while the walk, which waits for each block's ids, works through the blocks before.
 */
export const VERIFY_READ_AHEAD_BLOCKS = 8;

/**
 * Reads each height's records in order, up to VERIFY_READ_AHEAD_BLOCKS ahead of the height asked
 * for. With `checkElsewhere`, each block record's bytes go to it once decoded here, and its
 * answer comes with the records.
 */
function readAhead(
  reader: StoreReader,
  headHeight: number,
  checkElsewhere: ((record: Uint8Array) => Promise<BlockTransactionChecks>) | undefined,
): { next(height: number): Promise<BlockRecords>; stop(): Promise<void> } {
  const pending = new Map<number, Promise<BlockRecords>>();
  let requested = 0;
  const blockOf = async (height: number): Promise<[Block | undefined, Promise<BlockTransactionChecks> | undefined]> => {
    if (checkElsewhere === undefined) return [await reader.block(height), undefined];
    const record = await reader.blockRecord(height);
    if (record === undefined) return [undefined, undefined];
    const block = decodeRecord<Block>(record);
    const checks = checkElsewhere(record);
    // A broken pool rejects; that is read when the walk reaches this height, never left unhandled.
    checks.catch(() => undefined);
    return [block, checks];
  };
  const request = (height: number) => {
    const records = Promise.all([blockOf(height), reader.certificate(height), reader.results(height), reader.writes(height), reader.ledgerState(height)]).then(
      ([[block, checks], certificate, results, writes, state]): BlockRecords => [block, certificate, results, writes, state, checks],
    );
    // A read that fails is reported when its height is asked for, never as an unhandled rejection before.
    records.catch(() => undefined);
    pending.set(height, records);
  };
  return {
    next(height) {
      while (requested < Math.min(headHeight, height + VERIFY_READ_AHEAD_BLOCKS)) request(++requested);
      const records = pending.get(height);
      assert(records !== undefined, `records of height ${height} were not requested`);
      pending.delete(height);
      return records;
    },
    /** Waits for the reads still in flight when the walk ends early, so that none runs on after the store or the pool closes. */
    async stop() {
      await Promise.allSettled([...pending.values()]);
      pending.clear();
    },
  };
}

function compareStates(stored: LedgerState, recomputed: LedgerState): string | undefined {
  for (const field of ['blockHash', 'logSize', 'logRoot', 'stateRoot', 'headerLedgerHeight'] as const) {
    if (stored[field] !== recomputed[field]) {
      return `the store records ${field} ${String(stored[field])} but the blocks give ${String(recomputed[field])}`;
    }
  }
  return undefined;
}
