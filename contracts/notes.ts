/**
 * The notes one transaction leaves for the store's auditor indices (ledger/store/records.ts):
 * rule-driven changes to an item, keyed by the item, and approval requests, keyed by what they
 * are about and by who is involved. Notes are derived data in no root; they reach the store only
 * if the transaction is accepted (they travel in its Effects).
 */
import type { ApprovalNote, ChangeNote, IndexedNote } from '../ledger/store/records.js';
import type { TransactionContext } from './execution.js';

export class Notes {
  readonly list: IndexedNote[] = [];
  private readonly position: number;
  private readonly approvalId: string | undefined;

  constructor(context: Pick<TransactionContext, 'position' | 'approvalId'>) {
    this.position = context.position;
    this.approvalId = context.approvalId;
  }

  /** A change made as an approval's action names the approval, whose trail says who signed off. */
  change(subject: string, note: ChangeNote): void {
    this.list.push({ position: this.position, index: 'change', key: subject, note: this.approvalId === undefined ? note : { ...note, approvalId: this.approvalId } });
  }

  approval(index: 'approval-subject' | 'approval-party', key: string, note: ApprovalNote): void {
    this.list.push({ position: this.position, index, key, note });
  }
}
