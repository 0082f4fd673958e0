/**
 * Request bodies at the edge of the API (docs/security.md, "Inputs at the edge"): a JSON media
 * type (RFC 8259 section 11, or a +json suffix, RFC 6839; anything else is 415), UTF-8 that
 * decodes without replacement (invalid bytes are refused, never turned into U+FFFD, so the
 * body accepted is the body sent), and the strict JSON parser, which also refuses members that
 * JavaScript objects treat specially (`__proto__`, `constructor`, `prototype`). Every failure is
 * an ApiError naming what is wrong; nothing is half-read.
 */
import { raw, type Request, type RequestHandler } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import type { SubmitResult } from '../transactions.js';
import { ApiError } from './errors.js';

/** `application/json`, `application/ld+json`, `application/x+json`, ...; parameters other than charset=utf-8 are not ours to refuse. */
export const JSON_MEDIA_TYPE_PATTERN = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

/** Reads the raw body (up to bytesMax) for routes that parse it with jsonBody. */
export function rawBody(bytesMax: number): RequestHandler {
  return raw({ type: () => true, limit: bytesMax });
}

export function jsonBody(request: Request, bytesMax: number): JsonValue {
  checkJsonContentType(request);
  return parseJsonBytes(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), bytesMax);
}

/** A body already known to be JSON: UTF-8 that decodes without replacement, then the strict parser. */
export function parseJsonBytes(bytes: Uint8Array, bytesMax: number): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid-utf8', 'the request body is not valid UTF-8', '');
  }
  const parsed = parseStrictJson(text, { bytesMax });
  if (!parsed.ok) throw new ApiError(400, `json-${parsed.error.code}`, parsed.error.message, parsed.error.path.replace(/^\$\.?/, ''));
  return parsed.value;
}

function checkJsonContentType(request: Request): void {
  const header = request.headers['content-type'];
  const [mediaType = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const unsupported = (message: string) => new ApiError(415, 'unsupported-media-type', message, 'content-type', { 'Accept-Post': 'application/json, application/ld+json' });
  if (!JSON_MEDIA_TYPE_PATTERN.test(mediaType)) {
    throw unsupported(`the body must be JSON (Content-Type: application/json); got ${header === undefined ? 'no Content-Type' : JSON.stringify(header.slice(0, 128))}`);
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  if (charset !== undefined && !['charset=utf-8', 'charset="utf-8"'].includes(charset)) throw unsupported(`JSON bodies are UTF-8; got ${charset}`);
}

/** Signer failures are 403 (the request is understood, the signer may not do it); the rest of admission 422. */
const FORBIDDEN_REFUSALS = new Set(['unknown-participant', 'participant-inactive', 'unknown-key', 'revoked-key']);

/** The ApiError for a submission the node did not take. */
export function submissionError(submitted: Extract<SubmitResult, { ok: false }>): ApiError {
  switch (submitted.kind) {
    case 'full':
      return new ApiError(503, 'mempool-full', `the mempool is full (${submitted.reason}); retry later`, '', { 'Retry-After': '1' });
    case 'overloaded':
      return new ApiError(
        503,
        'overloaded',
        `${submitted.pending} transactions wait for commit, as many as this network commits in its target delay (${submitted.pendingLimit}); retry after ${submitted.retryAfterS} s`,
        '',
        { 'Retry-After': String(submitted.retryAfterS) },
      );
    case 'stopping':
      return new ApiError(503, 'stopping', 'this validator is shutting down; submit to another', '', { 'Retry-After': '5', Connection: 'close' });
    case 'refused': {
      const bySigner = FORBIDDEN_REFUSALS.has(submitted.refusal.code);
      return new ApiError(bySigner ? 403 : 422, submitted.refusal.code, submitted.refusal.message, submitted.path ?? (bySigner ? 'body.signers' : 'body.type'));
    }
    case 'invalid':
      return new ApiError(submitted.check.code === 'too-large' ? 413 : 422, submitted.check.code, submitted.check.message, submitted.check.path ?? '');
  }
}
