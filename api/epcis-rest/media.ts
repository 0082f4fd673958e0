/**
 * Content negotiation of the EPCIS REST binding (EPCIS 2.0 section 12; openapi.yaml: 406
 * NotAcceptable, 415 UnsupportedMediaType). JSON and JSON-LD are built in; other formats plug in
 * as an `EpcisFormat`: a converter from a capture body to the EPCIS JSON-LD document that is
 * signed and recorded, and a serializer for query answers. EPCIS XML (application/xml, text/xml)
 * is known but not built in: until a format for it is registered, an XML body is 415 and a client
 * that accepts only XML is 406.
 */
import type { Request } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { ApiError } from '../../node/http/errors.js';
import { JSON_MEDIA_TYPE_PATTERN, parseJsonBytes } from '../../node/http/json-body.js';

export type DocumentConversion = { ok: true; document: JsonValue } | { ok: false; problem: ApiError };

export interface EpcisFormat {
  /** The media types this format reads and writes, lower case, without parameters. */
  mediaTypes: readonly string[];
  /** A capture body in this format (decoded as UTF-8) as the EPCIS JSON-LD document it stands for. */
  parse?: (text: string) => DocumentConversion;
  /** A query answer (an EPCISQueryDocument, or a single event's) written in this format. */
  serialize?: (document: JsonValue) => string;
}

/** Bodies and answers in JSON: EPCIS 2.0's JSON-LD binding. */
const JSON_MEDIA_TYPES = ['application/ld+json', 'application/json'] as const;
/** The XML binding's media types: recognised, so that their refusal says what to do. */
export const XML_MEDIA_TYPES = ['application/xml', 'text/xml'] as const;

export interface Answer {
  contentType: string;
  serialize: (document: JsonValue) => string;
}

/** The body's media type, lower case, without parameters ('' when none is named). */
export function mediaTypeOf(request: Request): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export class EpcisMedia {
  private readonly formats: readonly EpcisFormat[];

  constructor(formats: readonly EpcisFormat[] = []) {
    this.formats = formats;
  }

  /** What a capture body may be sent as, for Accept-Post and 415 answers. */
  get acceptedBodies(): string[] {
    return [...JSON_MEDIA_TYPES, ...this.formats.filter((format) => format.parse !== undefined).flatMap((format) => format.mediaTypes)];
  }

  /** Whether this body's media type is JSON (or +json), which the binding reads itself. */
  isJson(request: Request): boolean {
    return JSON_MEDIA_TYPE_PATTERN.test(mediaTypeOf(request));
  }

  /** The capture body (raw bytes from express.raw) as an EPCIS document, or a 400 / 415. */
  readDocument(request: Request, bytesMax: number): JsonValue {
    const bytes: Buffer = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const mediaType = mediaTypeOf(request);
    if (this.isJson(request)) {
      const charset = /;\s*charset=("?)([^";]+)\1/i.exec(request.headers['content-type'] ?? '')?.[2]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8') throw this.unsupported(`JSON bodies are UTF-8; got charset=${charset.slice(0, 32)}`);
      return parseJsonBytes(bytes, bytesMax);
    }
    const format = this.formats.find((candidate) => candidate.parse !== undefined && candidate.mediaTypes.includes(mediaType));
    if (format === undefined) {
      const known = (XML_MEDIA_TYPES as readonly string[]).includes(mediaType) ? ' (EPCIS XML is not accepted by this node; send the JSON-LD binding)' : '';
      throw this.unsupported(`a capture body is ${this.acceptedBodies.join(', ')}; got ${mediaType === '' ? 'no Content-Type' : JSON.stringify(mediaType.slice(0, 128))}${known}`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new ApiError(400, 'invalid-utf8', 'the request body is not valid UTF-8', '');
    }
    const converted = format.parse!(text);
    if (!converted.ok) throw converted.problem;
    return converted.document;
  }

  unsupported(message: string): ApiError {
    return new ApiError(415, 'unsupported-media-type', message, 'content-type', { 'Accept-Post': this.acceptedBodies.join(', ') });
  }

  /**
   * How to write this request's answer, from its Accept header; 406 when nothing it accepts can
   * be made. Only query answers (EPCIS documents) go through the plugged formats; the binding's
   * other resources (capture jobs, lists, subscriptions) are JSON.
   */
  answer(request: Request, epcisDocument = true): Answer {
    const serializers = epcisDocument ? this.formats.filter((format) => format.serialize !== undefined) : [];
    const offered = [...JSON_MEDIA_TYPES, ...serializers.flatMap((format) => format.mediaTypes)];
    // No Accept header accepts anything; express picks the first offered type the client ranks highest.
    const chosen = request.headers.accept === undefined ? offered[0] : request.accepts(offered);
    if (chosen === false || chosen === undefined) {
      throw new ApiError(406, 'not-acceptable', `this resource is available as ${offered.join(', ')}; the request accepts ${JSON.stringify(String(request.headers.accept).slice(0, 128))}`, 'accept');
    }
    const format = serializers.find((candidate) => candidate.mediaTypes.includes(chosen));
    if (format !== undefined) return { contentType: `${chosen}; charset=utf-8`, serialize: format.serialize! };
    return { contentType: `${chosen}; charset=utf-8`, serialize: (document) => JSON.stringify(document) };
  }
}
