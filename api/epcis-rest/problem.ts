/**
 * Errors of the EPCIS REST binding as RFC 7807 problem details (application/problem+json), with
 * the `epcisException:` types of GS1's EPCIS 2.0 openapi.yaml (components/responses): every
 * failure under the binding's base path, unknown routes included, answers this way. Custodia's
 * own machine-readable `code` and the offending `path` travel beside the standard members, so a
 * client of /v1 finds the same codes here.
 */
import type { NextFunction, Request, Response } from 'express';
import { ApiError, asApiError } from '../../node/http/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The GS1 exception type of a status, where the binding names one; `captureLimit` for 413 on capture. */
export function problemType(status: number, code: string): string {
  if (status === 413) return code === 'capture-limit-exceeded' || code === 'body-too-large' || code === 'too-large' ? 'epcisException:CaptureLimitExceededException' : 'epcisException:QueryTooLargeException';
  if (status === 400 && (code === 'bad-query' || code === 'bad-page-token')) return 'epcisException:QueryParameterException';
  if (status === 400 && code === 'subscription-controls') return 'epcisException:SubscriptionControlsException';
  if (status === 412) return 'epcisException:QueryParameterException';
  if (status === 414) return 'epcisException:URITooLongException';
  if (status === 401 || status === 403) return 'epcisException:SecurityException';
  if (status === 404) return 'epcisException:NoSuchNameException';
  if (status >= 400 && status < 500 && status !== 406 && status !== 415 && status !== 429) return 'epcisException:ValidationException';
  return 'epcisException:ImplementationException';
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorised request',
  403: 'Access to resource forbidden',
  404: 'Resource not found',
  405: 'Method not allowed',
  406: 'Cannot produce the response in a requested content type',
  409: 'Conflict',
  412: 'Query parameter conflicts with the path',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'A server-side error occurred',
  501: 'Not implemented here',
  502: 'An upstream validator failed',
  503: 'Service unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Custodia's reason code, as /v1 answers it. */
  code: string;
  /** The request part at fault: a header, parameter or body path ('' for the request as a whole). */
  path: string;
  [member: string]: unknown;
}

export function problemOf(error: ApiError, instance?: string): Problem {
  return {
    ...error.details,
    type: problemType(error.status, error.code),
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    ...(instance === undefined ? {} : { instance }),
    code: error.code,
    path: error.path,
  };
}

export function sendProblem(response: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemOf(error, response.req.originalUrl.split('?')[0]!.slice(0, 512))));
}

/** The binding's last middleware: every error as a problem (node/http/errors.ts asApiError decides which). */
export function problemHandler(log: (error: unknown) => void) {
  return (error: unknown, _request: Request, response: Response, _next: NextFunction): void => sendProblem(response, asApiError(error, log));
}

/** Whatever matched no route of the binding. */
export function problemNotFound(request: Request, response: Response): void {
  sendProblem(response, new ApiError(404, 'no-such-route', `no route ${request.method} ${request.path.slice(0, 256)} in the EPCIS binding`, ''));
}
