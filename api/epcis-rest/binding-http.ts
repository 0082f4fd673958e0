/**
 * What every route of the EPCIS REST binding shares (EPCIS 2.0 section 12; openapi.yaml,
 * components/headers and parameters): the GS1 version headers, the client's version demands,
 * reading the credential, list paging (perPage, nextPageToken, a Link to the next page), and
 * writing an answer in the negotiated media type.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { ApiError } from '../../node/http/errors.js';
import type { Reader } from '../http/access.js';
import { EPCIS_VERSION_HEADERS } from '../http/event-routes.js';
import { positiveIntegerParameter } from '../http/validation.js';
import type { EpcisBackend } from './backend.js';
import type { EpcisMedia } from './media.js';

export { EPCIS_VERSION_HEADERS };

/** Entries of one page of a list (capture jobs, queries, subscriptions, vocabulary). */
export const LIST_PER_PAGE_DEFAULT = 30;
export const LIST_PER_PAGE_MAX = 100;

export const listPageQuery = z.strictObject({
  perPage: positiveIntegerParameter(LIST_PER_PAGE_MAX).optional(),
  nextPageToken: z.string().max(512).regex(/^[A-Za-z0-9._~-]+$/, 'expected a nextPageToken from the previous page').optional(),
});

/**
 * A client that needs an EPCIS or CBV version this binding does not speak is told so (406)
 * rather than answered in another: GS1-EPCIS-Version / GS1-CBV-Version of 2.0 (2.0.x) only.
 */
export function versionDemands(request: Request, _response: Response, next: NextFunction): void {
  for (const header of ['gs1-epcis-version', 'gs1-cbv-version']) {
    const value = request.headers[header];
    if (typeof value === 'string' && !/^2\.0(?:\.\d+)?$/.test(value.trim())) {
      throw new ApiError(406, 'unsupported-version', `this repository speaks EPCIS and CBV 2.0; the request asks for ${header.toUpperCase()} ${JSON.stringify(value.slice(0, 32))}`, header);
    }
  }
  next();
}

/** Middleware: the request's reader, or a 401 / 403 problem. */
export function requireReader(backend: EpcisBackend) {
  return async (request: Request, response: Response, next: NextFunction): Promise<void> => {
    response.locals['reader'] = await backend.authenticate(request);
    next();
  };
}

export function readerOf(response: Response): Reader {
  const reader = response.locals['reader'] as Reader | undefined;
  if (reader === undefined) throw new Error('route served without requireReader');
  return reader;
}

/** This request's URL with nextPageToken replaced: the Link to the next page (RFC 8288, rel="next"). */
export function nextPageLink(request: Request, token: string): string {
  const url = new URL(request.originalUrl, 'http://localhost');
  url.searchParams.set('nextPageToken', token);
  return `<${url.pathname}${url.search}>; rel="next"`;
}

/** Writes an answer in the negotiated media type, with the GS1 version headers; `epcisDocument` when it is a query answer. */
export function sendAnswer(media: EpcisMedia, request: Request, response: Response, document: JsonValue, options: { status?: number; epcisDocument?: boolean } = {}): void {
  const answer = media.answer(request, options.epcisDocument ?? false);
  const status = options.status ?? 200;
  response.status(status).set(EPCIS_VERSION_HEADERS).type(answer.contentType).send(answer.serialize(document));
}
