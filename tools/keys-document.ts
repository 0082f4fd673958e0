/**
 * Reading a keys document (docs/transparency.md, "Keys"; ledger/tlog/policy.ts) from a log's
 * GET /tlog/keys or from a file, as JSON; what it means is for the caller's policy function.
 * The answer is bounded in bytes and time: it carries at most 1,024 hand-overs.
 */
import { readFile } from 'node:fs/promises';
import { bodyText, boundedFetch } from '../node/tlog/bounded-fetch.js';

export const KEYS_FETCH = { timeoutMs: 10_000, bytesMax: 16 * 1024 * 1024 } as const;

export type KeysDocumentRead = { ok: true; document: unknown } | { ok: false; message: string };

function parsed(text: string, what: string): KeysDocumentRead {
  try {
    return { ok: true, document: JSON.parse(text) };
  } catch {
    return { ok: false, message: `${what} is not JSON` };
  }
}

export async function fetchKeysDocument(logUrl: string): Promise<KeysDocumentRead> {
  const url = `${logUrl.replace(/\/+$/, '')}/tlog/keys`;
  const answer = await boundedFetch(url, KEYS_FETCH);
  if (!answer.ok) return answer;
  if (answer.status !== 200) return { ok: false, message: `${url} answered ${answer.status}` };
  return parsed(bodyText(answer.body), url);
}

export async function readKeysFile(path: string): Promise<KeysDocumentRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read ${path}: ${(error as Error).message}` };
  }
  return parsed(text, path);
}
