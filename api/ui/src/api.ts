/// <reference lib="dom" />
/**
 * The UI's reach into the node's HTTP API: same origin, the read token from the credential
 * field on every request, and errors turned into the API's own {code, message, path} so the
 * page can say what went wrong. The token lives in sessionStorage: it survives reloads of the
 * tab but not closing it, and is never written into a URL.
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

export function readToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function storeReadToken(token: string): void {
  try {
    if (token === '') sessionStorage.removeItem(TOKEN_STORAGE_KEY);
    else sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage can be disabled by the browser's privacy settings; the token then lasts this page only.
  }
  for (const listener of tokenListeners) listener(token);
}

const tokenListeners = new Set<(token: string) => void>();

export function onTokenChange(listener: (token: string) => void): void {
  tokenListeners.add(listener);
}

function headers(accept: string): Record<string, string> {
  const token = readToken();
  return token === '' ? { accept } : { accept, authorization: `Bearer ${token}` };
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
  let response: Response;
  try {
    response = await fetch(path, { headers: headers(accept), cache: 'no-store' });
  } catch (error) {
    throw new ApiFailure(0, 'unreachable', `the node did not answer: ${(error as Error).message}`, '');
  }
  if (!response.ok) throw await failureOf(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await send(path, 'application/json');
  return (await response.json()) as T;
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
