/**
 * The shapes of the API's answers, taken from the zod schemas the server documents them with
 * (api/http/*), so a change on the server side breaks the UI's type check rather than the page.
 * Type-only imports: nothing of the server ends up in the bundle.
 */
import type { z } from 'zod';
import type { approvalResponse, pendingResponse } from '../../http/approval-routes.js';
import type { blockListResponse, busyBlocksResponse } from '../../http/block-list-routes.js';
import type { historyResponse, traceResponse } from '../../http/item-routes.js';
import type { transactionProofResponse } from '../../http/proof-routes.js';
import type { redactedRecordSchema } from '../../http/party-rule.js';
import type { recallScopeResponse } from '../../http/recall-routes.js';
import type { searchResponse } from '../../http/search-routes.js';
import type { blockSummarySchema, tracedRecordSchema } from '../../http/schemas.js';
import type { TransactionStatus } from '../../../node/transactions.js';

export type History = z.output<typeof historyResponse>;
export type CustodyEvent = History['events'][number];
/** A rule-driven change to an item: quarantined, released, recalled, certified, corrected. */
export type StateChange = History['changes'][number];
export type TracedRecord = z.output<typeof tracedRecordSchema>;
export type TraceGraph = z.output<typeof traceResponse>;
/** An item the reader is not a party to (api/http/party-rule.ts): its custody is not shown. */
export type RedactedRecord = z.output<typeof redactedRecordSchema>;
export type BlockSummary = z.output<typeof blockSummarySchema>;
export type BlockList = z.output<typeof blockListResponse>;
/** GET /v1/blocks-with-transactions: blocks that carry transactions, newest first. */
export type BusyBlocks = z.output<typeof busyBlocksResponse>;
export type TransactionProofDocument = z.output<typeof transactionProofResponse>;
export type RecallScope = z.output<typeof recallScopeResponse>;
export type SearchResults = z.output<typeof searchResponse>;
export type SearchResult = SearchResults['results'][number];
export type { TransactionStatus };

export interface LedgerHead {
  height: number;
  blockHash: string;
  ledger: { logSize: number; logRoot: string; stateRoot: string };
  checkpoint: { header: BlockSummary['header']; certificate: BlockSummary['certificate'] } | null;
}

export type Approval = z.output<typeof approvalResponse>;
export type PendingApprovals = z.output<typeof pendingResponse>;
/** A request as the lists give it (GET /v1/approvals): its status, approvals and rejection, without the signatures. */
export type ApprovalRequest = PendingApprovals['approvals'][number];
export type { Role } from '../../../contracts/participants.js';
