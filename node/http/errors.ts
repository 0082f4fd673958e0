/** API errors: always JSON {code, message, path}, with the HTTP status that fits. */
import type { NextFunction, Request, Response } from 'express';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendError(response: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.status(error.status).json({ code: error.code, message: error.message, path: error.path });
}

/** The last middleware: body-parser's and our own errors become JSON; anything else is a 500 that is logged. */
export function errorHandler(log: (error: unknown) => void) {
  return (error: unknown, _request: Request, response: Response, _next: NextFunction): void => {
    if (error instanceof ApiError) return sendError(response, error);
    const bodyError = error as { type?: string; status?: number; limit?: number };
    if (bodyError.type === 'entity.too.large') return sendError(response, new ApiError(413, 'body-too-large', `the request body exceeds ${bodyError.limit} bytes`));
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      return sendError(response, new ApiError(bodyError.status, 'bad-request', (error as Error).message));
    }
    log(error);
    sendError(response, new ApiError(500, 'internal', 'internal error'));
  };
}
