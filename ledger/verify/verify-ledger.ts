/**
 * Offline re-verification of a whole ledger from genesis (what `custodia verify --data` runs).
 * Trusting nothing stored but the blocks themselves, it recomputes every block hash and link,
 * every transaction's signatures, the Merkle log and the state root chain, checks every
 * certificate against the validator set of its height's epoch (the genesis set, then each set a
 * committed block hands over to with `nextValidators`), and compares all of it with what the
 * store recorded, its epoch index included. It stops at the first failure and names the height.
 */
import { toHex } from '../encoding/hex.js';
import { verifyQuorumCertificate } from '../model/certificate.js';
import { epochAfter, genesisEpoch, type Epoch } from '../model/epoch.js';
import { genesisHash, type Genesis } from '../model/genesis.js';
import { INITIAL_STATE_PARENT, isCanonicalWriteSet, nextStateRoot } from '../model/state.js';
import { checkTransaction } from '../model/transaction.js';
import type { ValidatorSet } from '../model/validator-set.js';
import { EMPTY_ROOT, MerkleFrontier } from '../merkle/index.js';
import type { StoreReader } from '../store/tail-check.js';
import { checkCommittedBlock, headerRootsDiffer, stateAfterBlock, type LedgerState } from './block-checks.js';

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
}

export async function verifyLedger(input: VerifyLedgerInput): Promise<LedgerVerification> {
  const { reader, genesis, validators, headHeight } = input;
  const chainId = genesis.chainId;
  const fail = (height: number, message: string): LedgerVerification => ({ ok: false, height, message });

  const writes0 = await reader.writes(0);
  const stored0 = await reader.ledgerState(0);
  if (writes0 === undefined || stored0 === undefined) return fail(0, 'the genesis state is missing');
  if (!isCanonicalWriteSet(writes0)) return fail(0, 'the genesis write set is not sorted by key');
  let previous: LedgerState = {
    height: 0,
    blockHash: genesisHash(genesis),
    logSize: 0,
    logRoot: toHex(EMPTY_ROOT),
    stateRoot: nextStateRoot(INITIAL_STATE_PARENT, writes0),
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

  for (let height = 1; height <= headHeight; height++) {
    const [block, certificate, results, writes, stored] = await Promise.all([
      reader.block(height),
      reader.certificate(height),
      reader.results(height),
      reader.writes(height),
      reader.ledgerState(height),
    ]);
    if (block === undefined || certificate === undefined || results === undefined || writes === undefined || stored === undefined) {
      return fail(height, 'the block, its certificate, results, write set or ledger state is missing');
    }
    const checked = checkCommittedBlock({ block, certificate, results, writes }, previous, chainId);
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
    for (const [position, transaction] of block.transactions.entries()) {
      const transactionCheck = checkTransaction(transaction, chainId);
      if (!transactionCheck.ok) return fail(height, `transaction ${position}: ${transactionCheck.code}: ${transactionCheck.message}`);
    }
    const atLedgerHeight = recent.get(block.header.ledgerHeight);
    if (atLedgerHeight === undefined) return fail(height, `ledgerHeight ${block.header.ledgerHeight} is not a height this chain has reached`);
    const rootsDiffer = headerRootsDiffer(block, atLedgerHeight);
    if (rootsDiffer !== undefined) return fail(height, `header ${rootsDiffer}`);

    for (const leaf of checked.leafHashes) frontier.append(leaf);
    const state = stateAfterBlock(block, checked, frontier);
    const differs = compareStates(stored, state);
    if (differs !== undefined) return fail(height, differs);

    transactions += results.length;
    accepted += results.filter((result) => result.status === 'accepted').length;
    recent.set(height, state);
    for (const kept of recent.keys()) if (kept < block.header.ledgerHeight) recent.delete(kept);
    previous = state;
    epoch = next.epoch;
    input.onProgress?.(height, headHeight);
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

function compareStates(stored: LedgerState, recomputed: LedgerState): string | undefined {
  for (const field of ['blockHash', 'logSize', 'logRoot', 'stateRoot', 'headerLedgerHeight'] as const) {
    if (stored[field] !== recomputed[field]) {
      return `the store records ${field} ${String(stored[field])} but the blocks give ${String(recomputed[field])}`;
    }
  }
  return undefined;
}
