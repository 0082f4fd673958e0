/**
 * The typed Custodia client: builds and signs transactions, submits them, waits for commit and
 * reads their status and the ledger head; with a read credential (a read token, or a participant
 * key that signs each request) it queries events (EPCIS 2.0 SimpleEventQuery), histories, traces,
 * recalls, blocks, proofs, approvals, exports and the commit stream. Used by the CLI, the devnet
 * demo, benchmarks and tests.
 */
import type { z } from 'zod';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { signTransaction, transactionId, type Transaction, type TransactionSigner } from '../ledger/model/transaction.js';
import type { ValidatorSet } from '../ledger/model/validator-set.js';
import { verifyTransactionProof, type ProofVerdict } from '../ledger/verify/proof.js';
import { verifyStateProof, type StateProofVerdict } from '../ledger/verify/state-proof.js';
import type { TransactionStatus } from '../node/transactions.js';
import type { BatchOutcome } from '../node/http/submission-routes.js';
import type { captureStatusSchema } from './http/capture-routes.js';
import type { approvalResponse, pendingResponse } from './http/approval-routes.js';
import type { blockListResponse } from './http/block-list-routes.js';
import { NEXT_PAGE_MEMBER } from './http/paging.js';
import type { historyResponse, traceResponse } from './http/item-routes.js';
import type { consistencyResponse, transactionProofResponse } from './http/proof-routes.js';
import { signReadRequest } from './http/read-signature.js';
import type { recallScopeResponse } from './http/recall-routes.js';
import type { stateProofResponse } from './http/state-proof-routes.js';
import type { commitNoticeSchema } from './http/stream-routes.js';
import { captureSignatureHeaders, type CaptureSignatureOptions } from './epcis-rest/capture-signature.js';

/** How the client proves who reads: an operator-issued read token, or a participant key signing each request. */
export type ReadCredential = { token: string } | { participant: string; seed: Uint8Array };

export type ItemHistory = z.output<typeof historyResponse>;
export type TraceGraph = z.output<typeof traceResponse>;
export type RecallScope = z.output<typeof recallScopeResponse>;
export type BlockList = z.output<typeof blockListResponse>;
export type TransactionProof = z.output<typeof transactionProofResponse>;
export type ConsistencyProof = z.output<typeof consistencyResponse>;
export type StateProof = z.output<typeof stateProofResponse>;
export type CaptureStatus = z.output<typeof captureStatusSchema>;
export type PendingApprovals = z.output<typeof pendingResponse>;
export type ApprovalStatus = z.output<typeof approvalResponse>;
export type CommitNotice = z.output<typeof commitNoticeSchema>;

/** EPCIS 2.0 query parameters; a list means alternatives (sent pipe-separated). */
export type EventQuery = Partial<
  Record<
    | 'MATCH_epc'
    | 'MATCH_anyEPC'
    | 'MATCH_epcClass'
    | 'MATCH_anyEPCClass'
    | 'MATCH_parentID'
    | 'MATCH_inputEPC'
    | 'MATCH_outputEPC'
    | 'EQ_bizStep'
    | 'EQ_disposition'
    | 'EQ_bizLocation'
    | 'EQ_readPoint'
    | 'EQ_eventID'
    | 'EQ_type'
    | 'EQ_action',
    string | string[]
  >
> & { GE_eventTime?: string; LT_eventTime?: string; perPage?: number; nextPageToken?: string };

export interface EventPage {
  /** The EPCISQueryDocument as served. */
  document: JsonValue;
  events: JsonValue[];
  nextPageToken?: string;
}

function queryString(parameters: Record<string, string | number | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    search.set(name, Array.isArray(value) ? value.join('|') : String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export interface ClientError {
  status: number;
  code: string;
  message: string;
  path: string;
}

export class CustodiaApiError extends Error {
  constructor(readonly error: ClientError) {
    super(`${error.status} ${error.code}: ${error.message}`);
  }
}

export interface LedgerHead {
  height: number;
  blockHash: string;
  ledger: { logSize: number; logRoot: string; stateRoot: string };
  checkpoint: { header: JsonValue; certificate: JsonValue } | null;
}

export class CustodiaClient {
  private nonce = 0;

  constructor(
    readonly baseUrl: string,
    readonly chainId: string,
    private readonly options: { timeoutMs?: number; headers?: Record<string, string>; credential?: ReadCredential } = {},
  ) {}

  /** The same client reading with another credential. */
  withCredential(credential: ReadCredential): CustodiaClient {
    return new CustodiaClient(this.baseUrl, this.chainId, { ...this.options, credential });
  }

  /** Builds and signs a transaction; each signer is a participant with its key. */
  transaction(type: string, payload: JsonValue, signers: TransactionSigner[]): Transaction {
    const nonce = `${Date.now().toString(36)}-${(this.nonce++).toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    // createdAt says when the submitter made it: the ledger's own time is the block's.
    return signTransaction({ chainId: this.chainId, type, signers: signers.map((signer) => signer.participant), nonce, createdAt: Date.now(), payload }, signers);
  }

  async submit(transaction: Transaction, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<TransactionStatus> {
    const query = options.wait === true ? `?wait=commit&timeoutMs=${options.timeoutMs ?? 30_000}` : '';
    return this.request<TransactionStatus>('POST', `/v1/transactions${query}`, transaction);
  }

  /** A batch in one request: each transaction's outcome, in order (a refusal is an outcome, not an exception). */
  async submitBatch(transactions: readonly Transaction[], options: { wait?: boolean; timeoutMs?: number } = {}): Promise<BatchOutcome[]> {
    const query = options.wait === true ? `?wait=commit&timeoutMs=${options.timeoutMs ?? 30_000}` : '';
    return this.request<BatchOutcome[]>('POST', `/v1/transactions${query}`, transactions);
  }

  async status(id: string, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<TransactionStatus> {
    const query = options.wait === true ? `?wait=commit&timeoutMs=${options.timeoutMs ?? 30_000}` : '';
    return this.request<TransactionStatus>('GET', `/v1/transactions/${id}${query}`);
  }

  async head(): Promise<LedgerHead> {
    return this.request<LedgerHead>('GET', '/v1/ledger/head');
  }

  idOf(transaction: Transaction): string {
    return transactionId(transaction.body);
  }

  /** One page of an EPCIS 2.0 SimpleEventQuery. */
  async events(query: EventQuery = {}): Promise<EventPage> {
    const document = await this.request<JsonValue>('GET', `/v1/events${queryString(query)}`);
    const body = document as { epcisBody?: { queryResults?: { resultsBody?: { eventList?: JsonValue[] } } }; [member: string]: unknown };
    const token = body[NEXT_PAGE_MEMBER];
    return { document, events: body.epcisBody?.queryResults?.resultsBody?.eventList ?? [], ...(typeof token === 'string' ? { nextPageToken: token } : {}) };
  }

  /** Every event the query matches, following nextPageToken to the end. */
  async *allEvents(query: EventQuery = {}): AsyncGenerator<JsonValue> {
    let nextPageToken: string | undefined;
    do {
      const page = await this.events({ ...query, ...(nextPageToken === undefined ? {} : { nextPageToken }) });
      yield* page.events;
      nextPageToken = page.nextPageToken;
    } while (nextPageToken !== undefined);
  }

  async itemHistory(epc: string): Promise<ItemHistory> {
    return this.request<ItemHistory>('GET', `/v1/items/${encodeURIComponent(epc)}/history`);
  }

  async trace(epc: string, direction: 'back' | 'forward' = 'back'): Promise<TraceGraph> {
    return this.request<TraceGraph>('GET', `/v1/items/${encodeURIComponent(epc)}/trace?direction=${direction}`);
  }

  async recallScope(recallId: string): Promise<RecallScope> {
    return this.request<RecallScope>('GET', `/v1/recalls/${recallId}/scope`);
  }

  async blocks(range: { from?: number; limit?: number } = {}): Promise<BlockList> {
    return this.request<BlockList>('GET', `/v1/blocks${queryString(range)}`);
  }

  async transactionProof(id: string): Promise<TransactionProof> {
    return this.request<TransactionProof>('GET', `/v1/proofs/transactions/${id}`);
  }

  /** The proof once a certified checkpoint covers the transaction (a moment after its commit). */
  async waitForTransactionProof(id: string, timeoutMs = 30_000): Promise<TransactionProof> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.transactionProof(id);
      } catch (error) {
        const retry = error instanceof CustodiaApiError && error.error.code === 'not-yet-checkpointed' && Date.now() < deadline;
        if (!retry) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /**
   * Fetches a transaction's proof and checks it offline against validator keys the caller
   * trusts (the genesis set, from its own copy of the genesis), never the node's word. Later
   * validator sets are followed through the hand-overs the proof carries, each certified by the
   * set before it.
   */
  async verifyTransaction(id: string, trusted: { chainId: string; validators: ValidatorSet }): Promise<ProofVerdict> {
    return verifyTransactionProof(await this.waitForTransactionProof(id), trusted.chainId, trusted.validators);
  }

  /** GET /v1/proofs/state/:key: a state key (item/<epc>, lot/<class>, recall/<id>, ...) with its proof at the last certified height. */
  async stateProof(key: string): Promise<StateProof> {
    return this.request<StateProof>('GET', `/v1/proofs/state/${encodeURIComponent(key)}`);
  }

  /**
   * Fetches a state key's proof and checks it offline against the validator keys the caller
   * trusts, as verifyTransaction does: the value (or absence) the verdict gives is what a quorum
   * certified at its height, whatever the node says.
   */
  async verifyStateProof(key: string, trusted: { chainId: string; validators: ValidatorSet }): Promise<StateProofVerdict> {
    return verifyStateProof(await this.stateProof(key), trusted.chainId, trusted.validators);
  }

  async genesis(): Promise<{ hash: string; genesis: JsonValue }> {
    return this.request<{ hash: string; genesis: JsonValue }>('GET', '/v1/genesis');
  }

  /** POST /v1/epcis/capture: a signed epcis.capture transaction; returns the capture with its events. */
  async capture(transaction: Transaction): Promise<CaptureStatus> {
    return this.request<CaptureStatus>('POST', '/v1/epcis/capture', transaction);
  }

  /**
   * The request headers that capture `document` through the GS1 EPCIS REST binding (POST
   * /epcis/capture) signed by these participants, the first being the submitter: give them to
   * any EPCIS client (epcis2.js: `capture(document, { headers })`) with the document as its body.
   * For POST /epcis/events, sign singleEventDocument(event). docs/epcis.md, "Authentication".
   */
  epcisCaptureHeaders(document: JsonValue, signers: readonly TransactionSigner[], options: CaptureSignatureOptions = {}): Record<string, string> {
    return captureSignatureHeaders(this.chainId, document, signers, options);
  }

  async captureStatus(captureId: string): Promise<CaptureStatus> {
    return this.request<CaptureStatus>('GET', `/v1/epcis/capture/${captureId}`);
  }

  async consistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    return this.request<ConsistencyProof>('GET', `/v1/proofs/consistency${queryString({ from, to })}`);
  }

  async pendingApprovals(party: string): Promise<PendingApprovals> {
    return this.request<PendingApprovals>('GET', `/v1/approvals${queryString({ pendingFor: party })}`);
  }

  async approval(requestId: string): Promise<ApprovalStatus> {
    return this.request<ApprovalStatus>('GET', `/v1/approvals/${requestId}`);
  }

  /** An EPCISDocument of the item's or lot's full history. */
  async exportEpcis(epc: string): Promise<JsonValue> {
    return this.request<JsonValue>('GET', `/v1/exports/epcis${queryString({ epc })}`);
  }

  /** The FSMA 204 spreadsheet (CSV text) for a lot or a date range. */
  async exportFsma204(selection: { epc?: string; from?: string; to?: string }): Promise<string> {
    return this.request<string>('GET', `/v1/exports/fsma204.csv${queryString(selection)}`, undefined, 'text');
  }

  async openApi(): Promise<JsonValue> {
    return this.request<JsonValue>('GET', '/v1/openapi.json');
  }

  /**
   * Commit notices as they happen (server-sent events), optionally only blocks naming an EPC;
   * with `afterHeight`, first the blocks after that height (as a reconnect with Last-Event-ID).
   * Ends when the signal aborts or the server closes the stream.
   */
  async *commits(options: { epc?: string; afterHeight?: number; signal?: AbortSignal } = {}): AsyncGenerator<CommitNotice> {
    const path = `/v1/stream${queryString({ epc: options.epc })}`;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.readHeaders('GET', path), ...(options.afterHeight === undefined ? {} : { 'last-event-id': String(options.afterHeight) }) };
    const response = await fetch(`${this.baseUrl}${path}`, { headers, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    if (!response.ok || response.body === null) throw await this.failure(response);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data !== '' && /^event: commit$/m.test(block)) yield JSON.parse(data) as CommitNotice;
      }
    }
  }

  /** The headers that prove who reads: a bearer token, or a signature over this request. */
  private readHeaders(method: string, path: string): Record<string, string> {
    const credential = this.options.credential;
    if (credential === undefined) return {};
    if ('token' in credential) return { authorization: `Bearer ${credential.token}` };
    // The server verifies the path and query exactly as they arrive: as fetch will send them.
    const url = new URL(`${this.baseUrl}${path}`);
    return signReadRequest(this.chainId, credential.participant, credential.seed, method, `${url.pathname}${url.search}`, Date.now());
  }

  /**
   * Every request of this API is idempotent (reads, and submissions keyed by their transaction
   * id), so one whose connection was reset before any response came is sent again: a kept-alive
   * socket the server closed just as it was reused is not a failure of the request.
   */
  private async fetchRetryingResets(method: string, path: string, body: unknown): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...this.options.headers, ...(method === 'GET' ? this.readHeaders(method, path) : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
        });
      } catch (error) {
        if (attempt >= CONNECTION_RESET_ATTEMPTS_MAX || !isConnectionReset(error)) throw error;
      }
    }
  }

  private async failure(response: Response): Promise<CustodiaApiError> {
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return new CustodiaApiError({ status: response.status, code: String(json['code'] ?? 'http-error'), message: String(json['message'] ?? response.statusText), path: String(json['path'] ?? '') });
  }

  private async request<T>(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<T> {
    const response = await this.fetchRetryingResets(method, path, body);
    if (!response.ok) throw await this.failure(response);
    if (as === 'text') return (await response.text()) as T;
    return (await response.json().catch(() => ({}))) as T;
  }
}

/** Attempts of one request whose connection is reset before it is answered. */
const CONNECTION_RESET_ATTEMPTS_MAX = 3;

/** fetch's failure when the server closed or reset the socket under the request (undici's UND_ERR_SOCKET, or ECONNRESET). */
function isConnectionReset(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return error instanceof TypeError && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET');
}
