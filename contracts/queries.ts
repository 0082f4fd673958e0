/**
 * Read functions auditors need over the contracts' state: trace a thing back to what it was made
 * from and what it contains, or forward to what was made from it and what carried it; the scope
 * of a recall; the pending validator set change. Each walk is bounded.
 */
import { containersOf, recordKey, type TracedRecord } from './rules/inventory.js';
import type { RecallRecord } from './rules/recall.js';
import type { ValidatorSetChange } from './rules/governance.js';
import { stateKeys, type StateReader } from './state.js';

export const TRACE_NODES_MAX = 10_000;

export type TraceRelation = 'made-from' | 'contains';

export interface TraceGraph {
  root: string;
  direction: 'back' | 'forward';
  nodes: TracedRecord[];
  /** `from` was made from `to` ('made-from'), or `from` contains `to` ('contains'). */
  edges: Array<{ from: string; to: string; relation: TraceRelation }>;
  /** True when the walk stopped at TRACE_NODES_MAX. */
  truncated: boolean;
}

async function readTraced(state: StateReader, id: string): Promise<TracedRecord | undefined> {
  return (await state.get(recordKey(id))) as TracedRecord | undefined;
}

/**
 * Back: what the thing was made from (its transformation inputs) and what it contains, all the
 * way up the chain. Forward: what was made from it and the containers that carried it (an
 * instance's parent, the containers a lot was packed in).
 */
export async function trace(state: StateReader, root: string, direction: 'back' | 'forward'): Promise<TraceGraph | undefined> {
  const first = await readTraced(state, root);
  if (first === undefined) return undefined;
  const nodes: TracedRecord[] = [first];
  const seen = new Set([root]);
  const edges: TraceGraph['edges'] = [];
  let truncated = false;
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    const next: Array<{ id: string; edge: TraceGraph['edges'][number] }> =
      direction === 'back'
        ? [
            ...node.derivedFrom.map((id) => ({ id, edge: { from: node.id, to: id, relation: 'made-from' as const } })),
            ...node.children.map((id) => ({ id, edge: { from: node.id, to: id, relation: 'contains' as const } })),
          ]
        : [
            ...node.derivedInto.map((id) => ({ id, edge: { from: id, to: node.id, relation: 'made-from' as const } })),
            ...containersOf(node).map((id) => ({ id, edge: { from: id, to: node.id, relation: 'contains' as const } })),
          ];
    for (const { id, edge } of next) {
      edges.push(edge);
      if (seen.has(id)) continue;
      if (nodes.length >= TRACE_NODES_MAX) {
        truncated = true;
        continue;
      }
      const record = await readTraced(state, id);
      if (record === undefined) continue;
      seen.add(id);
      nodes.push(record);
    }
  }
  return { root, direction, nodes, edges, truncated };
}

export async function readTracedRecord(state: StateReader, id: string): Promise<TracedRecord | undefined> {
  return readTraced(state, id);
}

export async function readRecall(state: StateReader, recallId: string): Promise<RecallRecord | undefined> {
  return (await state.get(stateKeys.recall(recallId))) as RecallRecord | undefined;
}

export async function pendingValidatorSetChange(state: StateReader): Promise<ValidatorSetChange | undefined> {
  return (await state.get(stateKeys.validatorSetChange())) as ValidatorSetChange | undefined;
}
