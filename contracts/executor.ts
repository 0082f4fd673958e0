/**
 * Executes committed blocks (order-then-execute): each transaction, in block order, runs its
 * contract over the state as the block's earlier transactions left it. An accepted transaction's
 * writes join the block's write set; a refused one changes nothing but is recorded as seen, so
 * that the same id is refused forever. The result of executing a block (results, a canonical
 * write set, indexed events) is exactly what the store appends in one batch.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { ACCEPTED, type TransactionResult } from '../ledger/model/result.js';
import type { StateWrite } from '../ledger/model/state.js';
import { transactionId, type Transaction } from '../ledger/model/transaction.js';
import type { IndexedEvent } from '../ledger/store/records.js';
import { approvalContracts } from './approvals/approvals.js';
import { authorizeSigners } from './authorization.js';
import type { BlockContext, Contract } from './execution.js';
import { refuse, refusalResult } from './reasons.js';
import { captureEvents } from './rules/capture.js';
import { addParticipant, recordCertificate, removeParticipant, revokeKey, rotateKey, setValidators } from './rules/governance.js';
import { issueRecall, releaseQuarantine } from './rules/recall.js';
import { StateOverlay, stateKeys, type StateReader } from './state.js';

const DIRECT_CONTRACTS: Readonly<Record<string, Contract>> = {
  'epcis.capture': captureEvents,
  'recall.issue': issueRecall,
  'quarantine.release': releaseQuarantine,
  'certificate.record': recordCertificate,
};

/** Changes to the consortium itself: only as the payload of an approval by enough admins. */
const GOVERNANCE_CONTRACTS: Readonly<Record<string, Contract>> = {
  'governance.add-participant': addParticipant,
  'governance.remove-participant': removeParticipant,
  'governance.rotate-key': rotateKey,
  'governance.revoke-key': revokeKey,
  'governance.set-validators': setValidators,
};

const APPROVAL_CONTRACTS = approvalContracts({
  contract: (type) => DIRECT_CONTRACTS[type] ?? GOVERNANCE_CONTRACTS[type],
  isGovernance: (type) => type in GOVERNANCE_CONTRACTS,
});

export const TRANSACTION_TYPES = [...Object.keys(DIRECT_CONTRACTS), ...Object.keys(APPROVAL_CONTRACTS), ...Object.keys(GOVERNANCE_CONTRACTS)].sort();

export interface ExecutedTransaction {
  result: TransactionResult;
  events: IndexedEvent[];
}

/** Runs one transaction over `blockState`, merging its writes only when accepted. */
export async function executeTransaction(
  blockState: StateOverlay,
  block: BlockContext,
  transaction: Transaction,
  position: number,
  txId = transactionId(transaction.body),
): Promise<ExecutedTransaction> {
  const seen = stateKeys.transaction(txId);
  if ((await blockState.get(seen)) !== undefined) {
    return { result: refusalResult(refuse('duplicate-transaction', `transaction ${txId} was already executed`)), events: [] };
  }
  blockState.set(seen, { height: block.height, position });

  const authorized = await authorizeSigners(blockState, transaction);
  if (!authorized.ok) return { result: refusalResult(authorized), events: [] };
  const type = transaction.body.type;
  if (type in GOVERNANCE_CONTRACTS) {
    return { result: refusalResult(refuse('approval-required', `${type} takes effect only through an approval request signed off by the admins`)), events: [] };
  }
  const contract = DIRECT_CONTRACTS[type] ?? APPROVAL_CONTRACTS[type as keyof typeof APPROVAL_CONTRACTS];
  if (contract === undefined) return { result: refusalResult(refuse('unknown-transaction-type', `no contract handles ${type}`)), events: [] };

  const transactionState = blockState.fork();
  const outcome = await contract(transactionState, { ...block, txId, position, signers: authorized.signers }, transaction.body.payload as JsonValue);
  if (!outcome.ok) return { result: refusalResult(outcome), events: [] };
  transactionState.commitTo(blockState);
  return { result: ACCEPTED, events: outcome.events };
}

export interface ExecutedBlock {
  results: TransactionResult[];
  writes: StateWrite[];
  events: IndexedEvent[];
}

export async function executeBlock(state: StateReader, block: BlockContext, transactions: readonly Transaction[], transactionIds?: readonly string[]): Promise<ExecutedBlock> {
  const blockState = new StateOverlay(state);
  const results: TransactionResult[] = [];
  const events: IndexedEvent[] = [];
  for (const [position, transaction] of transactions.entries()) {
    const executed = await executeTransaction(blockState, block, transaction, position, transactionIds?.[position]);
    results.push(executed.result);
    events.push(...executed.events);
  }
  return { results, writes: blockState.writeSet(), events };
}
