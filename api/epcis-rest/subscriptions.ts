/**
 * Query subscriptions of the EPCIS REST binding (EPCIS 2.0 section 12, openapi.yaml:
 * /queries/{queryName}/subscriptions and the WebSocket upgrade of /queries/{queryName}/events):
 * each executed block's new events that a named query matches, for the participant who
 * subscribed and only what the party rule lets it read, sent as an EPCISQueryDocument.
 *
 * Webhooks are durable and at-least-once: each has a cursor (the last height handled) in the
 * binding's store, so a restarted node resumes after the last block it handled and a delivery
 * cut short by the stop is sent again. A failed delivery is retried with exponential backoff up
 * to attemptsMax, then given up (counted, with its reason, in the subscription's state) and the
 * cursor moves on. One delivery per subscription is in flight at a time and at most
 * DELIVERIES_IN_FLIGHT_MAX across the node, so a slow or hostile destination holds up only its
 * own subscription; a subscription more than BACKLOG_BLOCKS_MAX behind skips ahead (counted).
 *
 * WebSocket subscriptions are live only: events of blocks executed while connected. A client that
 * falls behind (LIVE_PENDING_HEIGHTS_MAX blocks waiting, or LIVE_BUFFERED_BYTES_MAX unsent) is
 * disconnected rather than buffered for.
 */
import type { WebSocket } from 'ws';
import { ApiError } from '../../node/http/errors.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import type { Reader } from '../http/access.js';
import { eventMatchesQuery, planEventQuery, type EventQueryPlan } from '../http/event-query.js';
import { queryDocument } from '../http/event-routes.js';
import type { EpcisBackend } from './backend.js';
import { queryParameters } from './queries.js';
import type { DeliveryState, QueryDefinition, SubscriptionRecord } from './store.js';
import { postWebhook, type DeliveryLimits } from './webhook-delivery.js';

export const DELIVERIES_IN_FLIGHT_MAX = 16;
export const BACKLOG_BLOCKS_MAX = 10_000;
export const EVENTS_PER_DELIVERY_MAX = 100;
export const DELIVERY_BODY_BYTES_MAX = 1024 * 1024;
export const LIVE_PENDING_HEIGHTS_MAX = 64;
export const LIVE_BUFFERED_BYTES_MAX = 1024 * 1024;
/** Blocks looked back through for a subscription's initialRecordTime. */
export const INITIAL_RECORD_TIME_BLOCKS_MAX = 1000;
/** Blocks without a delivery between two writes of a webhook's cursor. */
const CURSOR_WRITE_INTERVAL_BLOCKS = 100;
/** Blocks' events kept for the subscriptions that read the same block. */
const BLOCKS_CACHED_MAX = 64;

export interface WebhookOptions extends DeliveryLimits {
  attemptsMax: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { attemptsMax: 8, retryBaseMs: 1000, retryMaxMs: 60_000, timeoutMs: 10_000, responseBytesMax: 64 * 1024, privateDestinations: false };

/** What one subscriber reads of a block: the query's events that the reader may see. */
function matchingEvents(plan: EventQueryPlan, events: readonly StoredEvent[]): JsonValue[] {
  return events.filter((event) => eventMatchesQuery(plan, event)).map((event) => event.event);
}

/** Documents of at most EVENTS_PER_DELIVERY_MAX events and about DELIVERY_BODY_BYTES_MAX each. */
function deliveryBodies(events: readonly JsonValue[], results: { queryName: string; subscriptionID?: string }): string[] {
  const bodies: string[] = [];
  let batch: JsonValue[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = JSON.stringify(event).length;
    if (batch.length > 0 && (batch.length >= EVENTS_PER_DELIVERY_MAX || bytes + size > DELIVERY_BODY_BYTES_MAX)) {
      bodies.push(JSON.stringify(queryDocument(batch, undefined, results)));
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) bodies.push(JSON.stringify(queryDocument(batch, undefined, results)));
  return bodies;
}

class Semaphore {
  private available: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.available = size;
  }
  async take(): Promise<() => void> {
    if (this.available > 0) this.available -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.available += 1;
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

class WebhookWorker {
  private running = false;
  private again = false;
  private persistedHeight: number;
  readonly abort = new AbortController();

  constructor(
    private readonly service: SubscriptionService,
    readonly record: SubscriptionRecord,
    private state: DeliveryState,
  ) {
    this.persistedHeight = state.height;
  }

  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run()
      .catch((error: unknown) => this.service.backend.warn({ error, subscription: this.record.subscriptionID }, 'a webhook worker failed; it resumes with the next block'))
      .finally(() => {
        this.running = false;
        if (this.again && !this.abort.signal.aborted) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async run(): Promise<void> {
    const { backend } = this.service;
    while (!this.abort.signal.aborted) {
      const head = backend.feed.head();
      if (head === undefined || this.state.height >= head) return;
      if (head - this.state.height > BACKLOG_BLOCKS_MAX) {
        this.state = { ...this.state, height: head - BACKLOG_BLOCKS_MAX, failedDeliveries: this.state.failedDeliveries + 1, lastError: `more than ${BACKLOG_BLOCKS_MAX} blocks behind: skipped ahead` };
      }
      const height = this.state.height + 1;
      const events = await this.service.eventsAt(height);
      if (events === undefined) return;
      const reader = await backend.readerOf(this.record.owner);
      let failure: string | undefined;
      let delivered = false;
      if (reader !== undefined) {
        const plan = this.service.plan(this.record.query, reader);
        for (const body of deliveryBodies(matchingEvents(plan, events), { queryName: this.record.queryName, subscriptionID: this.record.subscriptionID })) {
          const outcome = await this.deliver(body);
          if (this.abort.signal.aborted) return;
          if (outcome === undefined) delivered = true;
          else failure = outcome;
        }
      }
      this.state = {
        height,
        failedDeliveries: this.state.failedDeliveries + (failure === undefined ? 0 : 1),
        ...(failure === undefined ? (this.state.lastError === undefined ? {} : { lastError: this.state.lastError }) : { lastError: failure }),
        ...(delivered ? { lastNotifiedAt: new Date().toISOString() } : this.state.lastNotifiedAt === undefined ? {} : { lastNotifiedAt: this.state.lastNotifiedAt }),
      };
      if (failure !== undefined) backend.warn({ subscription: this.record.subscriptionID, height, reason: failure }, 'a webhook delivery failed for good; moving on');
      // Blocks with nothing for this subscription are written down only now and then: after a
      // restart the few since are read again and, having nothing for it, sent nothing.
      if (delivered || failure !== undefined || height - this.persistedHeight >= CURSOR_WRITE_INTERVAL_BLOCKS) {
        await backend.storage.setDelivery(this.record.subscriptionID, this.state);
        this.persistedHeight = height;
      }
    }
  }

  /** Sends one body, retrying with backoff; undefined once delivered, else the last failure. */
  private async deliver(body: string): Promise<string | undefined> {
    const { options } = this.service;
    let reason = 'not attempted';
    for (let attempt = 1; attempt <= options.attemptsMax && !this.abort.signal.aborted; attempt++) {
      const release = await this.service.deliveries.take();
      let result;
      try {
        result = await postWebhook(this.record.dest, body, this.record.signatureToken, options, this.abort.signal);
      } finally {
        release();
      }
      if (result.ok) return undefined;
      reason = `attempt ${attempt}: ${result.reason}`;
      if (attempt < options.attemptsMax) await sleep(Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempt - 1)), this.abort.signal);
    }
    return reason;
  }
}

interface LiveSubscriber {
  socket: WebSocket;
  reader: Reader;
  plan: EventQueryPlan;
  queryName: string;
  owner: string;
  pending: number[];
  sending: boolean;
}

export class SubscriptionService {
  readonly deliveries = new Semaphore(DELIVERIES_IN_FLIGHT_MAX);
  private readonly workers = new Map<string, WebhookWorker>();
  private readonly live = new Set<LiveSubscriber>();
  private readonly eventsByHeight = new Map<number, Promise<StoredEvent[] | undefined>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    readonly backend: EpcisBackend,
    readonly options: WebhookOptions,
  ) {}

  /** Loads the stored subscriptions and follows new blocks; each resumes from its cursor. */
  async start(): Promise<void> {
    for (const record of await this.backend.storage.subscriptions()) {
      // A subscription and its cursor are written together; one without a cursor starts at the head.
      const head = this.backend.feed.head();
      const state = (await this.backend.storage.delivery(record.subscriptionID)) ?? (head === undefined ? undefined : { height: head, failedDeliveries: 0 });
      if (state === undefined) this.backend.warn({ subscription: record.subscriptionID }, 'a subscription without a delivery cursor is not served until the next start');
      else this.startWorker(record, state);
    }
    this.unsubscribe = this.backend.feed.onHeight((height) => {
      for (const worker of this.workers.values()) worker.poke();
      for (const subscriber of this.live) this.push(subscriber, height);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const worker of this.workers.values()) worker.abort.abort();
    this.workers.clear();
    // Terminated, not closed: a close waits for the client's answer, and an open socket keeps the API listener from closing.
    for (const subscriber of this.live) subscriber.socket.terminate();
    this.live.clear();
  }

  plan(query: QueryDefinition, reader: Reader): EventQueryPlan {
    return planEventQuery(queryParameters(query), reader);
  }

  /** One read of a block's events, shared by every subscription. */
  eventsAt(height: number): Promise<StoredEvent[] | undefined> {
    let events = this.eventsByHeight.get(height);
    if (events === undefined) {
      events = this.backend.feed.eventsAt(height);
      this.eventsByHeight.set(height, events);
      if (this.eventsByHeight.size > BLOCKS_CACHED_MAX) this.eventsByHeight.delete(this.eventsByHeight.keys().next().value!);
      // A block not there yet is asked again next time.
      void events.then((found) => {
        if (found === undefined) this.eventsByHeight.delete(height);
      });
    }
    return events;
  }

  /** Where a new subscription starts: after the head, or at the first of the last blocks recorded at or after initialRecordTime. */
  async startHeight(initialRecordTimeMs: number | undefined): Promise<number> {
    let height = this.backend.feed.head();
    // Never a guess: a subscription started at 0 would be sent the whole ledger.
    if (height === undefined) throw new ApiError(503, 'head-unknown', 'the newest block is not known here yet (no validator has answered); retry later', '', { 'Retry-After': '1' });
    if (initialRecordTimeMs === undefined) return height;
    for (let looked = 0; height > 0 && looked < INITIAL_RECORD_TIME_BLOCKS_MAX; looked++) {
      const time = await this.backend.feed.timeAt(height);
      if (time === undefined || time < initialRecordTimeMs) break;
      height -= 1;
    }
    return height;
  }

  startWorker(record: SubscriptionRecord, state: DeliveryState): void {
    const worker = new WebhookWorker(this, record, state);
    this.workers.set(record.subscriptionID, worker);
    worker.poke();
  }

  stopWorker(subscriptionID: string): void {
    this.workers.get(subscriptionID)?.abort.abort();
    this.workers.delete(subscriptionID);
  }

  /** Live subscribers of one participant; for the per-participant bound. */
  liveCount(participant?: string): number {
    let count = 0;
    for (const subscriber of this.live) if (participant === undefined || subscriber.owner === participant) count += 1;
    return count;
  }

  addLive(socket: WebSocket, reader: Reader, queryName: string, query: QueryDefinition): void {
    // An upgrade whose credential check finished after the stop.
    if (this.stopped) return socket.terminate();
    const subscriber: LiveSubscriber = { socket, reader, plan: this.plan(query, reader), queryName, owner: reader.participant, pending: [], sending: false };
    this.live.add(subscriber);
    socket.on('close', () => this.live.delete(subscriber));
    // Subscribers only listen; anything they send ends the subscription.
    socket.on('message', () => socket.close(1008, 'this subscription takes no messages'));
  }

  /** Ends the live subscriptions of a deleted query. */
  closeLive(owner: string, queryName: string): void {
    for (const subscriber of this.live) if (subscriber.owner === owner && subscriber.queryName === queryName) subscriber.socket.close(1000, 'the query was deleted');
  }

  private push(subscriber: LiveSubscriber, height: number): void {
    if (subscriber.pending.length >= LIVE_PENDING_HEIGHTS_MAX) {
      subscriber.socket.terminate();
      return;
    }
    subscriber.pending.push(height);
    if (!subscriber.sending) void this.drain(subscriber);
  }

  private async drain(subscriber: LiveSubscriber): Promise<void> {
    subscriber.sending = true;
    try {
      while (subscriber.pending.length > 0 && this.live.has(subscriber)) {
        const height = subscriber.pending.shift()!;
        const events = await this.eventsAt(height);
        if (events === undefined) continue;
        for (const body of deliveryBodies(matchingEvents(subscriber.plan, events), { queryName: subscriber.queryName })) {
          subscriber.socket.send(body);
          if (subscriber.socket.bufferedAmount > LIVE_BUFFERED_BYTES_MAX) {
            subscriber.socket.terminate();
            return;
          }
        }
      }
    } catch (error) {
      this.backend.warn({ error }, 'a live subscription failed');
      subscriber.socket.terminate();
    } finally {
      subscriber.sending = false;
    }
  }
}
