/**
 * The checks one committed block must pass against the ledger state before it, shared by the
 * store (on append and on open) and by the offline verifier, so all three agree on what a valid
 * chain is. Each failure says what differs; the caller adds where.
 */
import { blockHash, transactionRoot, type Block } from '../model/block.js';
import type { QuorumCertificate } from '../model/certificate.js';
import { ledgerEntryLeafHash } from '../model/ledger-entry.js';
import type { TransactionResult } from '../model/result.js';
import { isCanonicalWriteSet, type StateWrite } from '../model/state.js';
import { transactionId } from '../model/transaction.js';
import type { Hash, MerkleFrontier } from '../merkle/index.js';
import { canonicalize } from '../encoding/canonical-json.js';
import { toHex } from '../encoding/hex.js';
import { canonicalizePlain } from './plain-canonical.js';

/** The ledger as it stands after a height: what block headers and checkpoints refer to. */
export interface LedgerState {
  height: number;
  /** Hash of the block at this height; for height 0, the genesis hash. */
  blockHash: string;
  logSize: number;
  logRoot: string;
  stateRoot: string;
  /** The ledgerHeight named by this block's header (0 for genesis); never decreases. */
  headerLedgerHeight: number;
}

export interface CommittedBlockParts {
  block: Block;
  certificate: QuorumCertificate;
  results: readonly TransactionResult[];
  writes: readonly StateWrite[];
}

export type BlockCheckFailure = { code: BlockCheckCode; message: string };
export type BlockCheckCode =
  | 'wrong-chain'
  | 'not-next-height'
  | 'prev-hash-mismatch'
  | 'tx-count-mismatch'
  | 'tx-root-mismatch'
  | 'results-count-mismatch'
  | 'certificate-mismatch'
  | 'ledger-height-invalid'
  | 'unsorted-writes';

export interface BlockCheckSuccess {
  ok: true;
  hash: string;
  transactionIds: readonly string[];
  leafHashes: Hash[];
  /** The write set's RFC 8785 text: valid JSON to store as it is. Built when first read: the offline verifier never needs it. */
  readonly writeSetText: string;
  /** The canonical text of each write's value (`null` for a deletion), in write order: the store keeps these as the state rows, and the state tree hashes them. */
  writeValueTexts: string[];
}

export interface BlockCheckOptions {
  /**
   * The transactions' ids as the caller already computed them from these very bodies (a validator
   * hashed each transaction when it checked it), so that they are not canonicalised and hashed
   * again. They are still bound to the block: the transaction root is recomputed from them and
   * the signatures and must equal the certified header's; the offline verifier and the store's
   * tail check never pass them and re-derive every id from its body.
   */
  transactionIds?: readonly string[] | undefined;
}

/**
 * The canonical text of each write's value, in write order: what the store keeps as the state
 * rows and what the state tree hashes (through canonicalizePlain: the same text as canonicalize,
 * by the engine's JSON.stringify when it can be proven the same).
 */
export function encodeWriteValues(writes: readonly StateWrite[]): string[] {
  return writes.map((write) => (write.value === null ? 'null' : canonicalizePlain(write.value)));
}

/**
 * The write set's canonical text, built from each member's canonical text: a write is
 * `{"key":K,"value":V}` (RFC 8785 orders "key" before "value"), so the whole is exactly
 * canonicalize(writes) while every value is serialised once, and that text is reused for the
 * state row the store writes.
 */
export function encodeWriteSet(writes: readonly StateWrite[], valueTexts: readonly string[] = encodeWriteValues(writes)): string {
  const members = writes.map((write, index) => `{"key":${canonicalize(write.key)},"value":${valueTexts[index]!}}`);
  return `[${members.join(',')}]`;
}

/**
 * Checks the block's own consistency and its link to `previous`. It does not check the
 * header's claimed ledger roots (the caller looks up the state at `ledgerHeight`), the
 * certificate's signatures (they need the validator set of that height) nor the state root
 * after the block (it needs the state tree, which the caller holds).
 */
export function checkCommittedBlock(
  parts: CommittedBlockParts,
  previous: LedgerState,
  chainId: string,
  options: BlockCheckOptions = {},
): BlockCheckSuccess | ({ ok: false } & BlockCheckFailure) {
  const { block, certificate, results, writes } = parts;
  const header = block.header;
  const fail = (code: BlockCheckCode, message: string) => ({ ok: false as const, code, message });

  if (header.chainId !== chainId) return fail('wrong-chain', `block is for chain ${header.chainId}, expected ${chainId}`);
  if (header.height !== previous.height + 1) return fail('not-next-height', `block height ${header.height} does not follow ${previous.height}`);
  if (header.prevHash !== previous.blockHash) {
    return fail('prev-hash-mismatch', `prevHash ${header.prevHash} is not the hash of block ${previous.height} (${previous.blockHash})`);
  }
  if (header.txCount !== block.transactions.length) {
    return fail('tx-count-mismatch', `header says ${header.txCount} transactions, block has ${block.transactions.length}`);
  }
  const given = options.transactionIds;
  if (given !== undefined && given.length !== block.transactions.length) {
    return fail('tx-count-mismatch', `${given.length} transaction ids for ${block.transactions.length} transactions`);
  }
  const transactionIds = given ?? block.transactions.map((transaction) => transactionId(transaction.body));
  const root = transactionRoot(block.transactions, transactionIds);
  if (header.txRoot !== root) return fail('tx-root-mismatch', `txRoot ${header.txRoot} differs from the transactions' root ${root}`);
  if (results.length !== block.transactions.length) {
    return fail('results-count-mismatch', `${results.length} results for ${block.transactions.length} transactions`);
  }
  const hash = blockHash(header);
  const vote = certificate.vote;
  if (vote.blockHash !== hash || vote.height !== header.height || vote.round !== header.round) {
    return fail('certificate-mismatch', `certificate is for block ${vote.blockHash} at height ${vote.height} round ${vote.round}, not ${hash} at height ${header.height} round ${header.round}`);
  }
  if (header.ledgerHeight >= header.height || header.ledgerHeight < previous.headerLedgerHeight) {
    return fail('ledger-height-invalid', `ledgerHeight ${header.ledgerHeight} must be below ${header.height} and not below the parent's ${previous.headerLedgerHeight}`);
  }
  if (!isCanonicalWriteSet(writes)) return fail('unsorted-writes', 'the write set is not sorted by key with each key once');

  const leafHashes = transactionIds.map((txId, position) =>
    ledgerEntryLeafHash({ height: header.height, position, txId, result: results[position]! }),
  );
  const writeValueTexts = encodeWriteValues(writes);
  let writeSetText: string | undefined;
  return {
    ok: true,
    hash,
    transactionIds,
    leafHashes,
    get writeSetText() {
      writeSetText ??= encodeWriteSet(writes, writeValueTexts);
      return writeSetText;
    },
    writeValueTexts,
  };
}

/**
 * The ledger state after a checked block, given the Merkle log with the block's leaves appended
 * and the state tree's root after its writes (ledger/state-tree/).
 */
export function stateAfterBlock(block: Block, checked: BlockCheckSuccess, log: MerkleFrontier, stateRoot: string): LedgerState {
  return {
    height: block.header.height,
    blockHash: checked.hash,
    logSize: log.size,
    logRoot: toHex(log.root()),
    stateRoot,
    headerLedgerHeight: block.header.ledgerHeight,
  };
}

/** Compares a header's claimed ledger roots with the recorded state at its ledgerHeight. */
export function headerRootsDiffer(block: Block, atLedgerHeight: LedgerState): string | undefined {
  const header = block.header;
  if (header.logSize !== atLedgerHeight.logSize) return `logSize ${header.logSize} differs from ${atLedgerHeight.logSize} at height ${header.ledgerHeight}`;
  if (header.logRoot !== atLedgerHeight.logRoot) return `logRoot ${header.logRoot} differs from ${atLedgerHeight.logRoot} at height ${header.ledgerHeight}`;
  if (header.stateRoot !== atLedgerHeight.stateRoot) return `stateRoot ${header.stateRoot} differs from ${atLedgerHeight.stateRoot} at height ${header.ledgerHeight}`;
  return undefined;
}
