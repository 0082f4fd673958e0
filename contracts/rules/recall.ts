/**
 * `recall.issue` and `quarantine.release` (docs/contracts.md, "Recalls and quarantine").
 *
 * A recall is issued by a regulator, or by the lot's original producer with an admin's
 * co-signature. It covers the target and, transitively, everything packed in it, the
 * containers it travels in, and everything transformed from it; nothing in scope can then be
 * shipped, received or transformed. A quarantine (from a temperature excursion) is lifted only
 * by a laboratory's or inspector's signature.
 */
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { Outcome, TransactionContext } from '../execution.js';
import { hasRole } from '../participants.js';
import { refuse } from '../reasons.js';
import { stateKeys, type StateOverlay, type StateReader } from '../state.js';
import { Notes } from '../notes.js';
import { containersOf, readRecord, recordKey, writeRecord, type TracedRecord } from './inventory.js';
import { parsePayload } from './payload.js';

/** A recall touches at most this many identifiers, so one transaction's work is bounded. */
export const RECALL_SCOPE_MAX = 10_000;

const targetPayload = z.strictObject({
  target: z.string().min(1).max(512),
  reason: z.string().min(1).max(1024),
});

export interface RecallRecord {
  recallId: string;
  target: string;
  reason: string;
  issuedBy: string[];
  height: number;
  timestamp: number;
  scope: string[];
}

export async function issueRecall(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(targetPayload, payload);
  if (!parsed.ok) return parsed;
  const { target, reason } = parsed.value;
  const record = await readRecord(state, target);
  if (record === undefined) return refuse('unknown-item', `${target} was never commissioned`);
  const byRegulator = context.signers.some((signer) => hasRole(signer, 'regulator'));
  const byProducerWithAdmin =
    context.signers.some((signer) => signer.id === record.commissionedBy) && context.signers.some((signer) => hasRole(signer, 'admin'));
  if (!byRegulator && !byProducerWithAdmin) {
    return refuse('wrong-role', `a recall of ${target} needs a regulator, or its producer ${record.commissionedBy} with an admin co-signature`);
  }
  const scope = await recallScope(state, target);
  if (scope === undefined) return refuse('recall-scope-too-large', `the recall of ${target} would cover more than ${RECALL_SCOPE_MAX} identifiers`);
  const recallId = context.txId;
  const notes = new Notes(context);
  for (const id of scope) {
    const member = (await readRecord(state, id))!;
    if (!member.recalls.includes(recallId)) member.recalls = [...member.recalls, recallId];
    writeRecord(state, member);
    notes.change(id, { kind: 'recalled', detail: id === target ? reason : `${reason} (recall of ${target})`, reference: recallId });
  }
  const recall: RecallRecord = {
    recallId,
    target,
    reason,
    issuedBy: context.signers.map((signer) => signer.id),
    height: context.height,
    timestamp: context.timestamp,
    scope,
  };
  state.set(stateKeys.recall(recallId), recall as unknown as JsonValue);
  return { ok: true, events: [], notes: notes.list };
}

/**
 * Everything a recall of `target` reaches: its contents, its containers and what was made from
 * it, transitively, in breadth-first order from the target. Undefined if it exceeds the bound.
 */
export async function recallScope(state: StateReader, target: string): Promise<string[] | undefined> {
  const scope = [target];
  const seen = new Set(scope);
  for (let index = 0; index < scope.length; index++) {
    const record = (await state.get(recordKey(scope[index]!))) as TracedRecord | undefined;
    if (record === undefined) continue;
    // Both ways through aggregation (its contents, and the containers it is in) and forward through transformation.
    const reached = [...record.children, ...containersOf(record), ...record.derivedInto];
    for (const id of reached) {
      if (seen.has(id)) continue;
      if (scope.length >= RECALL_SCOPE_MAX) return undefined;
      seen.add(id);
      scope.push(id);
    }
  }
  return scope;
}

export async function releaseQuarantine(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const parsed = parsePayload(targetPayload, payload);
  if (!parsed.ok) return parsed;
  const { target, reason } = parsed.value;
  if (!context.signers.some((signer) => hasRole(signer, 'laboratory') || hasRole(signer, 'inspector'))) {
    return refuse('wrong-role', `releasing ${target} from quarantine needs a laboratory or inspector signature`);
  }
  const record = await readRecord(state, target);
  if (record === undefined) return refuse('unknown-item', `${target} was never commissioned`);
  if (record.quarantine === undefined) return refuse('not-quarantined', `${target} is not quarantined`);
  const lifted = record.quarantine;
  delete record.quarantine;
  writeRecord(state, record);
  const notes = new Notes(context);
  notes.change(target, { kind: 'released', detail: reason, reference: lifted.eventId });
  return { ok: true, events: [], notes: notes.list };
}
