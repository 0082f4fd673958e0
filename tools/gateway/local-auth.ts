/**
 * Who may use the participant gateway (docs/epcis.md, "Participant gateway"; docs/security.md):
 * the participant's own systems, holding the gateway's bearer token. The token lives in a file
 * readable by its owner only; a gateway started without one makes it (32 random bytes, base64url,
 * mode 0600, fsynced) and says so once. Every request, to every path, needs
 * `Authorization: Bearer <token>`; the comparison is of SHA-256 digests in constant time, so the
 * answer's timing says nothing of the token. Anything else is 401 problem+json.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../../node/http/errors.js';
import { sendProblem } from '../../api/epcis-rest/problem.js';

/** A token shorter than this is refused: it could be guessed. */
export const TOKEN_LENGTH_MIN = 24;
const TOKEN_LENGTH_MAX = 512;
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const BEARER_PATTERN = /^Bearer ([\x21-\x7e]{1,512})$/;
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="custodia-gateway"' };

export type TokenLoad = { ok: true; token: string; created: boolean } | { ok: false; message: string };

/** The token in `path`, or a new one written there when the file does not exist. */
export async function loadOrCreateToken(path: string): Promise<TokenLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, message: `cannot read the token file ${path}: ${(error as Error).message}` };
    const token = randomBytes(32).toString('base64url');
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${token}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    return { ok: true, token, created: true };
  }
  const mode = (await stat(path)).mode & 0o077;
  if (mode !== 0) return { ok: false, message: `the token file ${path} may be read by others (mode ${(mode | 0o600).toString(8)}); chmod 600 it` };
  const token = text.trim();
  if (token.length < TOKEN_LENGTH_MIN || token.length > TOKEN_LENGTH_MAX || !TOKEN_PATTERN.test(token)) {
    return { ok: false, message: `the token file ${path} must hold one token of ${TOKEN_LENGTH_MIN}-${TOKEN_LENGTH_MAX} printable characters without spaces` };
  }
  return { ok: true, token, created: false };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class LocalAuthenticator {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** Throws a 401 unless the headers carry the token. */
  check(authorization: string | string[] | undefined): void {
    if (authorization === undefined) throw new ApiError(401, 'credential-required', 'the gateway serves only its participant\'s systems: send Authorization: Bearer <the gateway\'s token>', 'authorization', CHALLENGE);
    const match = typeof authorization === 'string' ? BEARER_PATTERN.exec(authorization) : null;
    if (match === null || !timingSafeEqual(digest(match[1]!), this.expected)) throw new ApiError(401, 'bad-credential', 'not the gateway\'s token', 'authorization', CHALLENGE);
  }

  /** Middleware for every route: 401 problem+json without the token. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    try {
      this.check(request.headers.authorization);
    } catch (error) {
      sendProblem(response, error as ApiError);
      return;
    }
    next();
  };
}
