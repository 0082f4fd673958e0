/**
 * Executes committed blocks (order-then-execute): each transaction, in block order, runs its
 * contract over the state as the block's earlier transactions left it. An accepted transaction's
 * writes join the block's write set; a refused one changes nothing but is recorded as seen, so
 * that the same id is refused forever. The result of executing a block (results, a canonical
 * write set, indexed events) is exactly what the store appends in one batch.
 */
import { CANONICAL_DEPTH_MAX, canonicalize, CanonicalJsonError, type JsonValue } from '../ledger/encoding/canonical-json.js';
import { ACCEPTED, type TransactionResult } from '../ledger/model/result.js';
import type { StateWrite } from '../ledger/model/state.js';
import { transactionId, type Transaction } from '../ledger/model/transaction.js';
import type { IndexedEvent, IndexedNote } from '../ledger/store/records.js';
import { approvalContracts } from './approvals/approvals.js';
import { authorizeSigners } from './authorization.js';
import type { BlockContext, Contract, Outcome } from './execution.js';
import { refuse, refusalResult, type Refusal } from './reasons.js';
import { captureEvents, captureSubjects } from './rules/capture.js';
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
  subjects: actionSubjects,
});

/** What an approval's action is about, for the index of approvals by subject. */
function actionSubjects(type: string, payload: JsonValue): string[] {
  const member = (name: string) => (payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[name] : undefined);
  const text = (name: string) => {
    const value = member(name);
    return typeof value === 'string' ? [value] : [];
  };
  if (type === 'epcis.capture') return captureSubjects(payload);
  if (type === 'certificate.record') return text('subject');
  if (type === 'recall.issue' || type === 'quarantine.release') return text('target');
  if (type in GOVERNANCE_CONTRACTS) {
    // A participant's id, or the participant being added.
    const participant = member('participant');
    const id = typeof participant === 'string' ? participant : (participant as { id?: unknown } | null | undefined)?.id;
    return typeof id === 'string' ? [id] : [];
  }
  return [];
}

export const TRANSACTION_TYPES: readonly string[] = [...Object.keys(DIRECT_CONTRACTS), ...Object.keys(APPROVAL_CONTRACTS), ...Object.keys(GOVERNANCE_CONTRACTS)].sort();

/** Types that are only ever an approval's action: submitted on their own they are refused. */
export const GOVERNANCE_TRANSACTION_TYPES: readonly string[] = Object.keys(GOVERNANCE_CONTRACTS).sort();

export interface ExecutedTransaction {
  result: TransactionResult;
  events: IndexedEvent[];
  notes: IndexedNote[];
  /** What a contract threw, when it did: the transaction is refused with `execution-failed`, and the node logs this loudly. */
  failure?: unknown;
}

/**
 * A read of the state below the block failed (the disk, not the transaction): not a verdict on
 * the transaction, so it is never turned into a refusal, which another validator whose disk
 * answered would not record. It escapes execution and stops the node.
 */
export class StateReadError extends Error {
  override name = 'StateReadError';
  constructor(readonly key: string, override readonly cause: unknown) {
    super(`reading state key ${key} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Runs one transaction over `blockState`, merging its writes only when accepted. Total: whatever
 * the transaction holds, this returns a result. A contract that throws, or accepts with writes
 * that no state root could encode (a number that is not finite, a value nested too deep), is a
 * bug in the contract, not a verdict: the transaction is refused with `execution-failed` and a
 * message that is the same on every validator, and its writes are discarded. Only a failed state
 * read escapes (StateReadError).
 */
export async function executeTransaction(
  blockState: StateOverlay,
  block: BlockContext,
  transaction: Transaction,
  position: number,
  txId = transactionId(transaction.body),
): Promise<ExecutedTransaction> {
  const seen = stateKeys.transaction(txId);
  if ((await blockState.get(seen)) !== undefined) {
    return { result: refusalResult(refuse('duplicate-transaction', `transaction ${txId} was already executed`)), events: [], notes: [] };
  }
  blockState.set(seen, { height: block.height, position });
  const transactionState = blockState.fork();
  try {
    const outcome = await runContract(transactionState, block, transaction, position, txId);
    if (!outcome.ok) return { result: refusalResult(outcome), events: [], notes: [] };
    const unencodable = unencodableWrite(transactionState);
    if (unencodable !== undefined) return { result: refusalResult(refuse('execution-failed', unencodable)), events: [], notes: [], failure: new Error(unencodable) };
    transactionState.commitTo(blockState);
    return { result: ACCEPTED, events: outcome.events, notes: outcome.notes ?? [] };
  } catch (error) {
    if (error instanceof StateReadError) throw error;
    const message = `the contract for ${transaction.body.type} failed on this transaction; it changed nothing`;
    return { result: refusalResult(refuse('execution-failed', message)), events: [], notes: [], failure: error };
  }
}

async function runContract(transactionState: StateOverlay, block: BlockContext, transaction: Transaction, position: number, txId: string): Promise<Outcome> {
  const authorized = await authorizeSigners(transactionState, transaction);
  if (!authorized.ok) return authorized;
  const type = transaction.body.type;
  const refusedType = typeRefusal(type);
  if (refusedType !== undefined) return refusedType;
  const contract = (DIRECT_CONTRACTS[type] ?? APPROVAL_CONTRACTS[type as keyof typeof APPROVAL_CONTRACTS])!;
  return contract(transactionState, { ...block, txId, position, signers: authorized.signers }, transaction.body.payload as JsonValue);
}

/** Why a transaction of this type is refused whatever it holds, or undefined when a contract takes it. */
export function typeRefusal(type: string): Refusal | undefined {
  if (type in GOVERNANCE_CONTRACTS) return refuse('approval-required', `${type} takes effect only through an approval request signed off by the admins`);
  if (!(type in DIRECT_CONTRACTS) && !(type in APPROVAL_CONTRACTS)) return refuse('unknown-transaction-type', `no contract handles ${type}`);
  return undefined;
}

/** Why one of the transaction's writes could not be part of the block's write set digest, if one cannot. */
function unencodableWrite(transactionState: StateOverlay): string | undefined {
  for (const write of transactionState.ownWrites()) {
    // Encoded where it will sit in the digest, [{key, value}]: the value is at depth 2.
    if (certainlyCanonical(write.key, 0) && certainlyCanonical(write.value, 2)) continue;
    try {
      canonicalize([{ key: write.key, value: write.value }]);
    } catch (error) {
      if (!(error instanceof CanonicalJsonError)) throw error;
      return `the contract's write of ${write.key.slice(0, 128)} cannot be recorded (${error.code} at ${error.path}); it changed nothing`;
    }
  }
  return undefined;
}

/** String.prototype.isWellFormed (ES2024, native in Node 20) is outside this project's ES2023 lib. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * True when `canonicalize` certainly accepts `value` at `depth` (as canonicalize counts it: the
 * top-level value at 0, a container at its parent's depth + 1): plain objects and arrays within
 * CANONICAL_DEPTH_MAX, finite numbers, well-formed strings. It builds no text, which is why it is
 * here: encoding every write only to throw the text away was an eighth of execution's CPU
 * (docs/performance.md). False means "not certainly", never "refused": canonicalize then gives
 * the verdict and its exact error, so an accepted write is one canonicalize accepts and the
 * refusal message stays what it was. A cycle stops at the depth limit.
 */
export function certainlyCanonical(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(value) : !SURROGATE.test(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'object': {
      if (value === null) return true;
      if (depth + 1 > CANONICAL_DEPTH_MAX) return false;
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          const element: unknown = value[index];
          if (element === undefined || !certainlyCanonical(element, depth + 1)) return false;
        }
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key of Object.keys(value)) {
        const member: unknown = (value as Record<string, unknown>)[key];
        if (!certainlyCanonical(key, 0)) return false;
        // canonicalize skips undefined members, as TypeScript's optional properties expect.
        if (member !== undefined && !certainlyCanonical(member, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

export interface ExecutionFailure {
  position: number;
  txId: string;
  type: string;
  error: unknown;
}

export interface ExecutedBlock {
  results: TransactionResult[];
  writes: StateWrite[];
  events: IndexedEvent[];
  notes: IndexedNote[];
  /** Transactions whose contract threw (each refused with `execution-failed`): for the node to log loudly. */
  failures: ExecutionFailure[];
}

export async function executeBlock(state: StateReader, block: BlockContext, transactions: readonly Transaction[], transactionIds?: readonly string[]): Promise<ExecutedBlock> {
  const blockState = new StateOverlay(failingReadsMarked(state));
  const results: TransactionResult[] = [];
  const events: IndexedEvent[] = [];
  const notes: IndexedNote[] = [];
  const failures: ExecutionFailure[] = [];
  for (const [position, transaction] of transactions.entries()) {
    const txId = transactionIds?.[position] ?? transactionId(transaction.body);
    const executed = await executeTransaction(blockState, block, transaction, position, txId);
    results.push(executed.result);
    events.push(...executed.events);
    notes.push(...executed.notes);
    if (executed.failure !== undefined) failures.push({ position, txId, type: transaction.body.type, error: executed.failure });
  }
  return { results, writes: blockState.writeSet(), events, notes, failures };
}

function failingReadsMarked(state: StateReader): StateReader {
  return {
    get: async (key) => {
      try {
        return await state.get(key);
      } catch (error) {
        throw new StateReadError(key, error);
      }
    },
  };
}
