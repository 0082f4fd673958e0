/**
 * The typed Custodia client: builds and signs transactions, submits them, waits for commit and
 * reads their status and the ledger head. Used by the CLI, the devnet demo, benchmarks and tests.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { signTransaction, transactionId, type Transaction, type TransactionSigner } from '../ledger/model/transaction.js';
import type { TransactionStatus } from '../node/transactions.js';

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
    private readonly options: { timeoutMs?: number; headers?: Record<string, string> } = {},
  ) {}

  /** Builds and signs a transaction; each signer is a participant with its key. */
  transaction(type: string, payload: JsonValue, signers: TransactionSigner[]): Transaction {
    const nonce = `${Date.now().toString(36)}-${(this.nonce++).toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    return signTransaction({ chainId: this.chainId, type, signers: signers.map((signer) => signer.participant), nonce, payload }, signers);
  }

  async submit(transaction: Transaction, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<TransactionStatus> {
    const query = options.wait === true ? `?wait=commit&timeoutMs=${options.timeoutMs ?? 30_000}` : '';
    return this.request<TransactionStatus>('POST', `/v1/transactions${query}`, transaction);
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

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...this.options.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      throw new CustodiaApiError({ status: response.status, code: String(json['code'] ?? 'http-error'), message: String(json['message'] ?? response.statusText), path: String(json['path'] ?? '') });
    }
    return json as T;
  }
}
