/**
 * What the subcommands that talk to a running validator share: the signing participant from a
 * key file (its label names the participant, or --as does), the chain id (read from the node
 * unless given), a typed API client, and one way of reporting statuses and failures.
 */
import { readFile } from 'node:fs/promises';
import { CustodiaApiError, CustodiaClient, type ReadCredential } from '../../api/client.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import type { TransactionStatus } from '../../node/transactions.js';
import { EXIT_FAILED, fail } from '../exit-codes.js';

export interface NodeOptions {
  node: string;
  chainId?: string;
}

export interface SigningOptions extends NodeOptions {
  key: string;
  as?: string;
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; message: string };

/** A JSON file, read with the strict parser (a duplicate member would leave two readings of it). */
export async function readJsonFile(path: string, bytesMax?: number): Promise<Loaded<JsonValue>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read ${path}: ${(error as Error).message}` };
  }
  const parsed = parseStrictJson(text, bytesMax === undefined ? {} : { bytesMax });
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, message: `${path}: ${parsed.error.message}` };
}

/** The participant a key file signs as: its label, unless `as` names another. */
export async function signerFromKeyFile(path: string, as: string | undefined): Promise<Loaded<TransactionSigner>> {
  const key = await loadKeyFile(path);
  if (!key.ok) return { ok: false, message: key.message };
  const participant = as ?? key.key.label;
  if (participant === undefined) return { ok: false, message: `the key file ${path} has no label; name the participant with --as` };
  return { ok: true, value: { participant, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed } };
}

/** A client for the node; the chain id is read from its head checkpoint unless given. */
export async function connect(options: NodeOptions, credential?: ReadCredential): Promise<CustodiaClient> {
  const baseUrl = options.node.replace(/\/$/, '');
  const chainId = options.chainId ?? (await chainIdOf(baseUrl));
  return new CustodiaClient(baseUrl, chainId, credential === undefined ? {} : { credential });
}

/** The chain id from the node's genesis, which a node serves from its start (a new chain has no checkpoint yet). */
async function chainIdOf(baseUrl: string): Promise<string> {
  const answer = (await (await fetch(`${baseUrl}/v1/genesis`)).json()) as { genesis?: { chainId?: unknown } };
  const chainId = answer.genesis?.chainId;
  if (typeof chainId !== 'string') throw new Error('the node did not name its chain; pass --chain-id');
  return chainId;
}

/** "transaction <id>: committed at height 7", with the rule's reason when it was rejected. */
export function describeStatus(status: TransactionStatus): string {
  const where = status.status === 'committed' || status.status === 'rejected' ? ` at height ${status.height}` : '';
  const reason = status.status === 'rejected' && status.result.status === 'rejected' ? ` (${status.result.code}: ${status.result.message})` : '';
  return `transaction ${status.id}: ${status.status}${where}${reason}`;
}

/** Reports an error from talking to the node; an API refusal or an unreachable node exits 1. */
export function reportFailure(error: unknown, node: string): number {
  if (error instanceof CustodiaApiError) {
    const { status, code, message, path } = error.error;
    return fail(`${status} ${code}: ${message}${path === '' ? '' : ` (at ${path})`}`, EXIT_FAILED);
  }
  return fail(`cannot reach ${node}: ${(error as Error).message}`, EXIT_FAILED);
}
