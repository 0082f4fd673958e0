/// <reference lib="dom" />
/**
 * The UI's reach into the node's HTTP API: same origin, the read token from the credential
 * field on every request, and errors turned into the API's own {code, message, path} so the
 * page can say what went wrong. The token lives in sessionStorage: it survives reloads of the
 * tab but not closing it, and is never written into a URL.
 *
 * The credential's state is what the node last said of it, never what the UI hopes: "unset"
 * (no token), "checking" (entered, not yet answered), "accepted" (a read that needs a
 * credential succeeded with it) or "refused" (the node answered 401, with its reason). Reads
 * that need a credential are not sent at all while no token is entered, so a page without one
 * asks the node only for public data.
 */

const TOKEN_STORAGE_KEY = 'custodia.readToken';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }

  get needsCredential(): boolean {
    return this.status === 401;
  }
}

/** The token when the browser refuses sessionStorage: it then lasts as long as this page. */
let pageToken = '';

export function readToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
  } catch {
    return pageToken;
  }
}

/** Printable ASCII without spaces: what a bearer token can be (RFC 6750's b64token and more). */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

export type CredentialState = { state: 'unset' } | { state: 'checking' } | { state: 'accepted' } | { state: 'refused'; code: string; reason: string };

const MALFORMED_TOKEN = 'a read token is printable characters without spaces';

/** Before the node has said anything of it. */
function unjudged(token: string): CredentialState {
  if (token === '') return { state: 'unset' };
  return TOKEN_PATTERN.test(token) ? { state: 'checking' } : { state: 'refused', code: 'bad-credential', reason: MALFORMED_TOKEN };
}

let credential: CredentialState = unjudged(readToken());
const credentialListeners = new Set<(state: CredentialState) => void>();

export function credentialState(): CredentialState {
  return credential;
}

export function onCredentialChange(listener: (state: CredentialState) => void): void {
  credentialListeners.add(listener);
}

function setCredential(next: CredentialState): void {
  const same = next.state === credential.state && (next.state !== 'refused' || (credential.state === 'refused' && credential.reason === next.reason));
  credential = next;
  if (!same) for (const listener of credentialListeners) listener(next);
}

/** What the node said of `token`, unless the auditor has entered another one meanwhile. */
function judged(token: string, next: CredentialState): void {
  if (readToken() === token) setCredential(next);
}

export function storeReadToken(token: string): void {
  pageToken = token;
  try {
    if (token === '') sessionStorage.removeItem(TOKEN_STORAGE_KEY);
    else sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage can be disabled by the browser's privacy settings; the token then lasts this page only.
  }
  setCredential(unjudged(token));
  for (const listener of tokenListeners) listener(token);
}

const tokenListeners = new Set<(token: string) => void>();

export function onTokenChange(listener: (token: string) => void): void {
  tokenListeners.add(listener);
}

/**
 * Routes that read what only credentialed readers may (docs/security.md, "Read access"); the
 * rest (the ledger head, blocks, transaction statuses, the genesis, the OpenAPI document) are
 * public.
 */
const CREDENTIALED_PATHS = /^\/v1\/(?:events|items|search|recalls|proofs\/(?:transactions|state)|approvals|exports|stream)(?:[/?]|$)/;

export function needsCredential(path: string): boolean {
  return CREDENTIALED_PATHS.test(path);
}

async function failureOf(response: Response): Promise<ApiFailure> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message = typeof record['message'] === 'string' ? record['message'] : `${response.status} ${response.statusText}`;
  return new ApiFailure(response.status, typeof record['code'] === 'string' ? record['code'] : 'http-error', message, typeof record['path'] === 'string' ? record['path'] : '');
}

async function send(path: string, accept: string): Promise<Response> {
  const token = readToken();
  const credentialed = needsCredential(path);
  if (credentialed && token === '') throw new ApiFailure(401, 'credential-required', 'no read token has been entered', 'authorization');
  if (credentialed && !TOKEN_PATTERN.test(token)) throw new ApiFailure(401, 'bad-credential', MALFORMED_TOKEN, 'authorization');
  let response: Response;
  try {
    // A public read sends no token: its answer says nothing of the credential, and a refused one must not spoil it.
    response = await fetch(path, { headers: credentialed && token !== '' ? { accept, authorization: `Bearer ${token}` } : { accept }, cache: 'no-store' });
  } catch (error) {
    throw new ApiFailure(0, 'unreachable', `the node did not answer: ${(error as Error).message}`, '');
  }
  if (!response.ok) {
    const failure = await failureOf(response);
    if (credentialed && failure.status === 401) judged(token, { state: 'refused', code: failure.code, reason: failure.message });
    throw failure;
  }
  if (credentialed) judged(token, { state: 'accepted' });
  return response;
}

/**
 * Asks the node whether the entered token is good, with the cheapest read that needs one (an
 * empty page of events); the answer updates the credential's state.
 */
export async function checkCredential(): Promise<void> {
  if (readToken() === '') return;
  try {
    await send('/v1/events?perPage=1', 'application/json');
  } catch {
    // A 401 has marked the token refused; anything else (the node unreachable) leaves it unchecked.
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await send(path, 'application/json');
  return (await response.json()) as T;
}

export async function getText(path: string, accept = 'text/plain'): Promise<string> {
  const response = await send(path, accept);
  return response.text();
}

/** Like getJson, but a 404 is an answer (undefined), not a failure. */
export async function getJsonOrMissing<T>(path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(path);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Downloads need the Authorization header, which a plain link cannot carry, so the file is
 * fetched and handed to the browser as a blob.
 */
export async function download(path: string, fileName: string, accept: string): Promise<void> {
  const response = await send(path, accept);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Revoked later: some browsers start reading the blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function query(parameters: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export function pathComponent(value: string): string {
  return encodeURIComponent(value);
}
