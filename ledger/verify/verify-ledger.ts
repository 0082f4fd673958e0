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
import { checkTransactionShape, verifyTransactionSignatures, type TransactionShape } from '../model/transaction.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { EMPTY_ROOT, MerkleFrontier } from '../merkle/index.js';
import type { StoreReader } from '../store/tail-check.js';
import { checkCommittedBlock, headerRootsDiffer, stateAfterBlock, type LedgerState } from './block-checks.js';
import { SIGNATURE_WORKERS_MAX, SignaturePool, type SignatureItem } from './signature-pool.js';
import { ScratchStateTree, type ScratchStateTreeOptions } from './scratch-state-tree.js';
import { availableParallelism } from 'node:os';

type CheckedShape = Extract<TransactionShape, { ok: true }>;

/**
 * The first transaction of a block whose signatures fail, with the message checkTransaction
 * gives (docs/encoding.md section 3, bad-signature): on the pool's threads when there is one.
 */
async function firstBadSignature(shapes: readonly CheckedShape[], chainId: string, pool: SignaturePool | undefined): Promise<{ position: number; message: string } | undefined> {
  if (pool === undefined) {
    for (const [position, shape] of shapes.entries()) {
      const refusal = verifyTransactionSignatures(shape);
      if (refusal !== undefined) return { position, message: `transaction ${position}: ${refusal.code}: ${refusal.message}` };
    }
    return undefined;
  }
  const items: SignatureItem[] = [];
  const owners: Array<{ position: number; signer: string }> = [];
  for (const [position, shape] of shapes.entries()) {
    const id = toHex(shape.idBytes);
    for (const entry of shape.transaction.signatures) {
      items.push([entry.publicKey, id, entry.signature]);
      owners.push({ position, signer: entry.signer });
    }
  }
  if (items.length === 0) return undefined;
  const failed = await pool.firstFailure(chainId, items);
  if (failed < 0) return undefined;
  const owner = owners[failed]!;
  // Worded as verifyTransactionSignatures words it, so both paths give one verdict.
  return { position: owner.position, message: `transaction ${owner.position}: bad-signature: signature of ${owner.signer} does not verify` };
}

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
   * Threads that check transaction signatures beside the walk (signature-pool.ts); 0 or 1 checks
   * them inline. By default every core, for a chain of PARALLEL_FROM_BLOCKS blocks or more.
   */
  signatureWorkers?: number;
  /** Where the rebuilt state tree is kept while the walk runs, and how much of it stays in memory (scratch-state-tree.ts). */
  scratch?: ScratchStateTreeOptions;
}

/** Chains shorter than this verify inline: starting threads would cost more than it saves. */
export const PARALLEL_FROM_BLOCKS = 64;
/** Blocks whose signatures may still be being checked while the walk goes on; a bound on what waits. */
export const VERIFY_UNSETTLED_BLOCKS_MAX = 16;

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

  // The records of the next blocks are read while this one is checked: the disk and the CPU overlap.
  const records = readAhead(reader, headHeight);
  const workers = input.signatureWorkers ?? (headHeight >= PARALLEL_FROM_BLOCKS ? Math.min(availableParallelism(), SIGNATURE_WORKERS_MAX) : 0);
  const signatures = workers > 1 ? SignaturePool.start(workers) : undefined;
  /**
   * Blocks checked but for their transaction signatures, oldest first, each with its verdict to
   * come. A block's verdict names the first failure in the order the checks are listed; since the
   * signatures of earlier blocks may still fail, any failure is reported only once every block
   * before it has been settled, so the height named is the first bad one, as checking inline names.
   */
  const unsettled: Array<{ height: number; verdict: Promise<string | undefined> }> = [];
  const settleAll = async (): Promise<LedgerVerification | undefined> => {
    while (unsettled.length > 0) {
      const entry = unsettled.shift()!;
      const message = await entry.verdict;
      if (message !== undefined) return fail(entry.height, message);
    }
    return undefined;
  };
  const failAt = async (height: number, message: string): Promise<LedgerVerification> => (await settleAll()) ?? fail(height, message);
  try {
    for (let height = 1; height <= headHeight; height++) {
      const [block, certificate, results, writes, stored] = await records.next(height);
      if (block === undefined || certificate === undefined || results === undefined || writes === undefined || stored === undefined) {
        return await failAt(height, 'the block, its certificate, results, write set or ledger state is missing');
      }
      // Each transaction's stateless checks give its id; the block checks take those ids rather than hash every body twice.
      let shapeFailure: { position: number; message: string } | undefined;
      const shapes: CheckedShape[] = [];
      for (const [position, transaction] of block.transactions.entries()) {
        const shape = checkTransactionShape(transaction, chainId);
        if (!shape.ok) {
          shapeFailure = { position, message: `transaction ${position}: ${shape.code}: ${shape.message}` };
          break;
        }
        shapes.push(shape);
      }
      const signatureFailure = firstBadSignature(shapes, chainId, signatures);
      const transactionFailure = signatureFailure.then((bad) => (bad !== undefined && (shapeFailure === undefined || bad.position < shapeFailure.position) ? bad.message : shapeFailure?.message));
      // A broken pool rejects; that is read where the verdict is awaited, never left unhandled by an early return.
      transactionFailure.catch(() => undefined);

      const checked = checkCommittedBlock({ block, certificate, results, writes }, previous, chainId, shapeFailure === undefined ? { transactionIds: shapes.map((shape) => toHex(shape.idBytes)) } : {});
      if (!checked.ok) return await failAt(height, `${checked.code}: ${checked.message}`);
      const verdict = verifyQuorumCertificate(certificate, epoch.validators, chainId, epoch.number);
      if (!verdict.ok) return await failAt(height, `certificate ${verdict.code}: ${verdict.message} (under epoch ${epoch.number}, whose set certifies heights from ${epoch.startHeight})`);
      const next = epochAfter(epoch, block.header);
      if (!next.ok) return await failAt(height, next.message);
      const indexed = indexedEnds.get(height);
      if (block.header.nextValidators !== undefined && indexed !== epoch.number) {
        return await failAt(height, indexed === undefined ? `the block ends epoch ${epoch.number} but the store's epoch index does not record it` : `the store's epoch index records the end of epoch ${indexed}, not ${epoch.number}`);
      }
      if (block.header.nextValidators === undefined && indexed !== undefined) return await failAt(height, "the store's epoch index names this block, but its header carries no nextValidators");
      // The transactions come next in the order of checks: a failure after them counts only if they all pass.
      const failsLater = async (message: string) => failAt(height, (await transactionFailure) ?? message);
      if (shapeFailure !== undefined) return await failsLater(shapeFailure.message);
      const atLedgerHeight = recent.get(block.header.ledgerHeight);
      if (atLedgerHeight === undefined) return await failsLater(`ledgerHeight ${block.header.ledgerHeight} is not a height this chain has reached`);
      const rootsDiffer = headerRootsDiffer(block, atLedgerHeight);
      if (rootsDiffer !== undefined) return await failsLater(`header ${rootsDiffer}`);

      for (const leaf of checked.leafHashes) frontier.append(leaf);
      const state = stateAfterBlock(block, checked, frontier, stateTree.apply(writes, checked.writeValueTexts));
      const differs = compareStates(stored, state);
      if (differs !== undefined) return await failsLater(differs);
      await scratch.afterBlock();

      unsettled.push({ height, verdict: transactionFailure });
      if (unsettled.length > VERIFY_UNSETTLED_BLOCKS_MAX) {
        const oldest = unsettled.shift()!;
        const message = await oldest.verdict;
        if (message !== undefined) return await failAt(oldest.height, message);
      }
      transactions += results.length;
      accepted += results.filter((result) => result.status === 'accepted').length;
      recent.set(height, state);
      for (const kept of recent.keys()) if (kept < block.header.ledgerHeight) recent.delete(kept);
      previous = state;
      epoch = next.epoch;
      input.onProgress?.(height, headHeight);
    }
    const unsettledFailure = await settleAll();
    if (unsettledFailure !== undefined) return unsettledFailure;
  } finally {
    await signatures?.close();
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
  Awaited<ReturnType<StoreReader['block']>>,
  Awaited<ReturnType<StoreReader['certificate']>>,
  Awaited<ReturnType<StoreReader['results']>>,
  Awaited<ReturnType<StoreReader['writes']>>,
  Awaited<ReturnType<StoreReader['ledgerState']>>,
];

/** Blocks whose records are read ahead of the one being checked; a bound on what waits in memory. */
export const VERIFY_READ_AHEAD_BLOCKS = 4;

/** Reads each height's records in order, up to VERIFY_READ_AHEAD_BLOCKS ahead of the height asked for. */
function readAhead(reader: StoreReader, headHeight: number): { next(height: number): Promise<BlockRecords> } {
  const pending = new Map<number, Promise<BlockRecords>>();
  let requested = 0;
  const request = (height: number) => {
    const records = Promise.all([reader.block(height), reader.certificate(height), reader.results(height), reader.writes(height), reader.ledgerState(height)]);
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
