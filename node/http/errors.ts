/** API errors: always JSON {code, message, path}, with the HTTP status that fits. */
import type { Server } from 'node:http';
import { StoreDamagedError } from '../../ledger/store/checked-reads.js';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path = '',
    readonly headers: Record<string, string> = {},
    /** Fields the body carries beside code, message and path. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendError(response: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.status(error.status).json({ ...error.details, code: error.code, message: error.message, path: error.path });
}

/**
 * A read found the ledger store damaged (ledger/store/checked-reads.ts): a 500 naming the height
 * and what differs, never the wrong data (docs/operations.md, "Damage and repair").
 */
export function storeDamagedError(error: StoreDamagedError): ApiError {
  const { height, detail } = error.damage;
  return new ApiError(500, 'store-damaged', `this validator's ledger store is damaged at height ${height}; ask another validator`, '', {}, { height, detail });
}

/**
 * What a route threw, as the ApiError to answer: ours as they are, body-parser's 4xx, a damaged
 * store as its 500 (logged); anything else is a bug, logged, and a bare 500.
 */
export function asApiError(error: unknown, log: (error: unknown) => void): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreDamagedError) {
    log(error);
    return storeDamagedError(error);
  }
  const bodyError = error as { type?: string; status?: number; limit?: number };
  if (bodyError.type === 'entity.too.large') return new ApiError(413, 'body-too-large', `the request body exceeds ${bodyError.limit} bytes`);
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) return new ApiError(bodyError.status, 'bad-request', (error as Error).message);
  log(error);
  return new ApiError(500, 'internal', 'internal error');
}

/** The last middleware: body-parser's and our own errors become JSON; anything else is a 500 that is logged. */
export function errorHandler(log: (error: unknown) => void) {
  return (error: unknown, _request: Request, response: Response, _next: NextFunction): void => sendError(response, asApiError(error, log));
}

/** After every route: whatever matched nothing is a JSON 404, never Express's HTML page. */
export function notFoundHandler(request: Request, response: Response): void {
  sendError(response, new ApiError(404, 'no-such-route', `no route ${request.method} ${request.path.slice(0, 256)}`, ''));
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (a malformed request line, headers
 * too large, a timeout) are answered in JSON too, then the socket is closed.
 */
export function answerClientErrorsInJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage !== undefined) {
      socket.destroy();
      return;
    }
    const [status, reason, code] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers-too-large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request-timeout']
          : [400, 'Bad Request', 'bad-request'];
    const body = JSON.stringify({ code, message: `the request could not be read (${error.code ?? 'malformed'})`, path: '' });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
