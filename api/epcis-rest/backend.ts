/**
 * What the EPCIS REST binding (routes.ts) needs from whatever it fronts: a validator
 * (validator-backend.ts) or a participant's gateway that signs for its local systems
 * (tools/gateway/gateway-backend.ts).
 * The binding owns HTTP (routes, headers, negotiation, problems, paging, subscriptions); the
 * backend owns who a request is, how a capture is signed and admitted, and where events come
 * from. Expected failures are thrown as ApiError with the status and code to answer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import type { CaptureErrorBehaviour } from '../../contracts/rules/capture.js';
import type { Reader } from '../http/access.js';
import type { EventPageResult, EventQueryParameters } from '../http/event-query.js';
import type { Problem } from './problem.js';
import type { BindingStore } from './store.js';

export interface CaptureLimits {
  /** Events one capture may hold (GS1-EPCIS-Capture-Limit). */
  eventsMax: number;
  /** Bytes of one capture body (GS1-EPCIS-Capture-File-Size-Limit). */
  bytesMax: number;
}

/** A capture job as GET /capture/{captureID} answers it (openapi.yaml, components/schemas/CaptureJob). */
export interface CaptureJob {
  captureID: string;
  createdAt?: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: CaptureErrorBehaviour;
  errors: Problem[];
  /** Members beside GS1's, prefixed `custodia:` (the participant gateway's outbox state, block and proof). */
  extensions?: Record<string, JsonValue>;
}

export interface CaptureAccepted {
  captureId: string;
  /** The participant the capture is recorded for: its first signer. */
  submitter: string;
  behaviour: CaptureErrorBehaviour;
}

/** Who can read what the validator records, just as the request's credential says (a subset of an express Request). */
export interface CredentialRequest {
  method: string;
  originalUrl: string;
  headers: IncomingHttpHeaders;
}

/** New events as blocks execute: for webhooks and WebSocket subscriptions. */
export interface EventFeed {
  /**
   * The newest height whose events the feed can give; undefined while it is not known (a
   * participant gateway that no validator has answered yet).
   */
  head(): number | undefined;
  /** The events block `height` recorded, in order; undefined when there is no such block. */
  eventsAt(height: number): Promise<StoredEvent[] | undefined>;
  /** The block time of `height`, ms, for initialRecordTime; undefined when there is no such block. */
  timeAt(height: number): Promise<number | undefined>;
  /** Called with each newly executed height; returns the unsubscribe function. */
  onHeight(listener: (height: number) => void): () => void;
}

export interface EpcisBackend {
  readonly limits: CaptureLimits;
  /** The reader a request's credential names (a read token or a signed read), or a 401 / 403. */
  authenticate(request: CredentialRequest): Promise<Reader>;
  /** The reader a stored subscription delivers as, now; undefined when the participant is gone or inactive. */
  readerOf(participant: string): Promise<Reader | undefined>;
  /** Captures a document as the participant(s) whose signatures the request's headers carry. */
  captureDocument(document: JsonValue, behaviour: CaptureErrorBehaviour, headers: IncomingHttpHeaders): Promise<CaptureAccepted>;
  /** Captures an already signed epcis.capture transaction (Custodia's own form). */
  captureTransaction(transaction: JsonValue): Promise<CaptureAccepted>;
  /**
   * The job's state from the ledger; undefined when no capture with this id is pending or
   * recorded. With waitMs, answers once it is no longer running or when that time has passed.
   */
  captureJob(captureId: string, waitMs?: number): Promise<CaptureJob | undefined>;
  /**
   * The event with this eventID or, for an event captured without one, this content hash
   * (`ni:///sha-256;...`), if the reader may read it.
   */
  findEvent(reader: Reader, eventId: string): Promise<StoredEvent | undefined>;
  /** One page of a SimpleEventQuery, narrowed by the reader's party rule: the engine /v1/events runs. */
  queryEvents(reader: Reader, parameters: EventQueryParameters, perPage: number, nextPageToken: string | undefined): Promise<EventPageResult>;
  readonly feed: EventFeed;
  /** Durable storage of capture jobs, named queries and subscriptions (in the node's data folder). */
  readonly storage: BindingStore;
  /** Where the binding logs what a client cannot be told (a delivery that failed for good). */
  warn(fields: Record<string, unknown>, message: string): void;
}
