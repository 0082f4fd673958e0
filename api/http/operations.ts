/**
 * What each route declares about itself for the OpenAPI 3.1 document (openapi.ts): its method and
 * path, who may call it, and the zod schemas of its path parameters, query string, body and
 * responses. Routers validate requests with these very schemas, so the document describes what
 * the server really accepts.
 */
import type { z } from 'zod';

export type Access =
  /** No credential: block headers, certificates and Merkle hashes carry no payload. */
  | 'public'
  /** A read credential (token or signed request); participants see only what they are a party to. */
  | 'read'
  /** The body is a transaction signed by its participants. */
  | 'signed-transaction';

export interface OperationResponse {
  description: string;
  /** application/json unless said otherwise. */
  contentType?: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

export interface Operation {
  method: 'get' | 'post';
  /** OpenAPI path template, such as /v1/items/{epc}/history. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { contentType: string; schema: z.ZodType };
  /** Successful responses by status. */
  responses: Record<number, OperationResponse>;
  /** Error responses by status, each a JSON {code, message, path}; the codes it may carry. */
  errors: Record<number, string[]>;
}
