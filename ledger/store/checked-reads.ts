/**
 * Checks on what the store reads back (issue 13, "Damage is found and named"). LevelDB (as
 * classic-level drives it) does not verify its table checksums on reads, so a flipped byte in
 * an old table can come back as a well-formed but wrong record. Each read re-derives what it
 * cheaply can from the record and the ledger state recorded for its height: a block's hash and
 * transaction root, the block a certificate names, a transaction's id. A difference is a
 * `store-damaged` value naming the height, never the wrong data.
 */
import { blockHash, transactionRoot, type Block, type BlockHeader } from '../model/block.js';
import type { QuorumCertificate } from '../model/certificate.js';
import { transactionId, type Transaction } from '../model/transaction.js';
import type { LedgerState } from '../verify/block-checks.js';

/** A record that does not re-derive to what the store recorded for its height. */
export interface StoreDamage {
  ok: false;
  reason: 'store-damaged';
  height: number;
  detail: string;
}

export function storeDamage(height: number, detail: string): StoreDamage {
  return { ok: false, reason: 'store-damaged', height, detail };
}

/**
 * Thrown by the store's plain getters (getBlock, getCertificate, getTransaction) so that every
 * caller that cannot handle damage itself (the HTTP API) answers an error rather than the wrong
 * data; the store's checked readers (readBlock, ...) return the damage as a value.
 */
export class StoreDamagedError extends Error {
  override name = 'StoreDamagedError';
  constructor(readonly damage: StoreDamage) {
    super(`store damaged at height ${damage.height}: ${damage.detail}`);
  }
}

/** The block read for `height` against the ledger state the store recorded for it. */
export function checkBlockRecord(height: number, block: Block, recorded: LedgerState | undefined): StoreDamage | undefined {
  const headerDamage = checkHeaderRecord(height, block.header, recorded);
  if (headerDamage !== undefined) return headerDamage;
  if (block.transactions.length !== block.header.txCount) return storeDamage(height, `the block holds ${block.transactions.length} transactions, its header ${block.header.txCount}`);
  const root = transactionRoot(block.transactions, block.transactions.map((transaction) => transactionId(transaction.body)));
  if (root !== block.header.txRoot) return storeDamage(height, `the block's transactions give root ${root}, its header ${block.header.txRoot}`);
  return undefined;
}

/** A block's header read for `height` against the ledger state the store recorded for it (the block hash covers the header alone). */
export function checkHeaderRecord(height: number, header: BlockHeader, recorded: LedgerState | undefined): StoreDamage | undefined {
  if (recorded === undefined) return storeDamage(height, 'the block is stored but its ledger state is missing');
  if (header.height !== height) return storeDamage(height, `the block record holds a header of height ${header.height}`);
  const hash = blockHash(header);
  if (hash !== recorded.blockHash) return storeDamage(height, `the block's header hashes to ${hash}, but the ledger state records ${recorded.blockHash}`);
  return undefined;
}

/** A certificate read for `height` must certify the block the ledger state records there. */
export function checkCertificateRecord(height: number, certificate: QuorumCertificate, recorded: LedgerState | undefined): StoreDamage | undefined {
  if (recorded === undefined) return storeDamage(height, 'the certificate is stored but its ledger state is missing');
  const vote = certificate.vote;
  if (vote.height !== height || vote.blockHash !== recorded.blockHash) {
    return storeDamage(height, `the certificate names block ${vote.blockHash} at height ${vote.height}, but the ledger state records ${recorded.blockHash}`);
  }
  return undefined;
}

/** One transaction read by its id: the id is SHA-256 of its body's canonical bytes, so the bytes read must give it. */
export function checkTransactionRecord(height: number, expectedId: string, transaction: Transaction): StoreDamage | undefined {
  const id = transactionId(transaction.body);
  return id === expectedId ? undefined : storeDamage(height, `the transaction read for id ${expectedId} has id ${id}`);
}

/**
 * Whether a read failure is damage to the store: LevelDB reporting a corruption (a table block
 * that does not decompress, a bad checksum) or a record that no longer decodes.
 */
export function isDamageError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof SyntaxError) return true;
    if ((current as { code?: unknown }).code === 'LEVEL_CORRUPTION') return true;
    current = current.cause;
  }
  return false;
}
