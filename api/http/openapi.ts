/**
 * GET /v1/openapi.json: an OpenAPI 3.1 document of every route, generated from the zod schemas
 * the routes validate requests with (zod 4's z.toJSONSchema, JSON Schema draft 2020-12, which is
 * OpenAPI 3.1's schema dialect). Request schemas are rendered as their input (what a client
 * sends: strings in a query), response schemas as their output.
 *
 * z.toJSONSchema puts the definitions a schema needs (recursive JSON values, shared pieces) in
 * its own $defs with document-relative references; here they are moved to components.schemas
 * under the owning schema's name and the references rewritten, so the document is one resource.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ValidatorContext } from '../../node/validator.js';
import type { Operation } from './operations.js';
import { READ_SIGNATURE_CLOCK_SKEW_MS, READ_SIGNATURE_HEADERS } from './read-signature.js';
import { apiErrorSchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;
export const OPENAPI_VERSION = '3.1.0';

export const openApiOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openApi',
    summary: 'this document',
    tags: ['meta'],
    access: 'public',
    responses: { 200: { description: 'an OpenAPI 3.1 document' } },
    errors: {},
  },
];

class ComponentSchemas {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = { input: new Map<z.ZodType, string>(), output: new Map<z.ZodType, string>() };

  /** Registers a schema as a component (once per schema object and direction) and returns a reference to it. */
  reference(name: string, schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const known = this.names[io].get(schema);
    if (known !== undefined) return { $ref: `#/components/schemas/${known}` };
    const unique = this.uniqueName(io === 'input' ? `${name}.request` : name);
    this.names[io].set(schema, unique);
    this.schemas[unique] = this.generate(unique, schema, io);
    return { $ref: `#/components/schemas/${unique}` };
  }

  /** The schema inline (for parameters), with its definitions moved to components. */
  inline(name: string, schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    return this.generate(this.uniqueName(name), schema, io);
  }

  private uniqueName(name: string): string {
    const base = name.replace(/[^A-Za-z0-9._-]/g, '_');
    let candidate = base;
    for (let serial = 2; candidate in this.schemas; serial++) candidate = `${base}${serial}`;
    return candidate;
  }

  private generate(owner: string, schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    const definitions = (generated['$defs'] ?? {}) as Record<string, JsonSchema>;
    delete generated['$defs'];
    delete generated['$schema'];
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      const result: JsonSchema = {};
      for (const [key, member] of Object.entries(value)) {
        if (key === '$ref' && typeof member === 'string') {
          if (member === '#') result[key] = `#/components/schemas/${owner}`;
          else if (member.startsWith('#/$defs/')) result[key] = `#/components/schemas/${owner}.${member.slice('#/$defs/'.length)}`;
          else result[key] = member;
        } else {
          result[key] = rewrite(member);
        }
      }
      return result;
    };
    for (const [definition, body] of Object.entries(definitions)) this.schemas[`${owner}.${definition}`] = rewrite(body) as JsonSchema;
    return rewrite(generated) as JsonSchema;
  }
}

function parameters(components: ComponentSchemas, operation: Operation, where: 'path' | 'query'): JsonSchema[] {
  const schema = where === 'path' ? operation.params : operation.query;
  if (schema === undefined) return [];
  const generated = components.inline(`${operation.operationId}.${where}`, schema, 'input');
  const properties = (generated['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((generated['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const SECURITY: Record<Operation['access'], Array<Record<string, string[]>>> = {
  public: [],
  read: [{ readToken: [] }, { participantSignature: [] }],
  'signed-transaction': [],
};

export function openApiDocument(operations: readonly Operation[], context: Pick<ValidatorContext, 'config'>): JsonSchema {
  const components = new ComponentSchemas();
  const errorReference = components.reference('ApiError', apiErrorSchema, 'output');
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }),
        ...(response.schema === undefined && response.contentType === undefined
          ? { content: { 'application/json': { schema: { type: 'object' } } } }
          : {
              content: {
                [response.contentType ?? 'application/json']: {
                  schema: response.schema === undefined ? { type: 'string' } : components.reference(`${operation.operationId}.${status}`, response.schema, 'output'),
                },
              },
            }),
      };
    }
    for (const [status, codes] of Object.entries(operation.errors)) {
      responses[status] = { description: `error; code is one of: ${codes.join(', ')}`, content: { 'application/json': { schema: errorReference } } };
    }
    if (operation.access === 'read') {
      responses['401'] ??= { description: 'no valid read credential', content: { 'application/json': { schema: errorReference } } };
    }
    const pathItem = (paths[operation.path] ??= {});
    pathItem[operation.method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description === undefined ? {} : { description: operation.description }),
      tags: operation.tags,
      security: SECURITY[operation.access],
      parameters: [...parameters(components, operation, 'path'), ...parameters(components, operation, 'query')],
      ...(operation.body === undefined
        ? {}
        : { requestBody: { required: true, content: { [operation.body.contentType]: { schema: components.reference(`${operation.operationId}.body`, operation.body.schema, 'input') } } } }),
      responses,
    };
  }
  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Custodia validator API',
      version: '1',
      description:
        `Chain ${context.config.chainId}. Submission of signed transactions, EPCIS 2.0 queries, chain of custody, traces, recalls, blocks, proofs, approvals, exports and commit streams. ` +
        'Every error is JSON {code, message, path}, path naming the field concerned. Any request may also be refused, with Retry-After, 429 rate-limited (too many requests from one address), 503 too-many-connections (too many open connections, in all or from one address; the connection is closed) or 503 stopping (the validator is shutting down). ' +
        'Reads need a credential: auditors and regulators read everything, other participants what they are a party to.',
    },
    servers: [{ url: '/' }],
    tags: ['submission', 'queries', 'ledger', 'proofs', 'approvals', 'exports', 'streams', 'meta'].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        readToken: { type: 'http', scheme: 'bearer', description: 'a read token the operator configured for an organisation (config api.readTokens)' },
        participantSignature: {
          type: 'apiKey',
          in: 'header',
          name: READ_SIGNATURE_HEADERS.signature,
          description:
            `A request signed with an active key of a participant: ${READ_SIGNATURE_HEADERS.participant} (its id), ${READ_SIGNATURE_HEADERS.timestamp} (ms since the epoch, within ` +
            `${READ_SIGNATURE_CLOCK_SKEW_MS / 60_000} minutes of the server's clock) and ${READ_SIGNATURE_HEADERS.signature}: the hex ed25519 signature of the UTF-8 text ` +
            '"custodia-read/v1\\n<chainId>\\n<METHOD>\\n<path with query>\\n<timestamp>".',
        },
      },
    },
  };
}

export function openApiRoutes(context: ValidatorContext, operations: () => readonly Operation[]): Router {
  const router = Router();
  let document: string | undefined;
  router.get('/v1/openapi.json', (_request, response) => {
    document ??= JSON.stringify(openApiDocument(operations(), context));
    response.type('application/json').send(document);
  });
  return router;
}
