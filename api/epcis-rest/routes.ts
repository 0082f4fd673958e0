/**
 * The GS1 EPCIS 2.0 REST binding as a router over an `EpcisBackend` (EPCIS 2.0 section 12, REST
 * bindings; GS1's openapi.yaml), mounted under one base path (a validator's /epcis; a participant
 * gateway's, tools/gateway). It answers capture (capture-routes.ts), event queries and the top-level resources
 * (event-routes.ts), named queries and webhook subscriptions (query-routes.ts), OPTIONS discovery
 * with the GS1 headers, WebSocket subscriptions on /queries/{queryName}/events (`upgrade`), and a
 * problem+json 404 for every path it does not serve. docs/epcis.md is its guide.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import { ApiError } from '../../node/http/errors.js';
import type { EpcisBackend } from './backend.js';
import { EPCIS_VERSION_HEADERS, versionDemands } from './binding-http.js';
import { captureLimitHeaders, captureRoutes } from './capture-routes.js';
import { eventRoutes, TOP_LEVEL_RESOURCES } from './event-routes.js';
import { EpcisMedia, type EpcisFormat } from './media.js';
import { problemHandler, problemNotFound, problemOf } from './problem.js';
import { queryNameSchema } from './queries.js';
import { queryRoutes } from './query-routes.js';
import { DEFAULT_WEBHOOK_OPTIONS, SubscriptionService, type WebhookOptions } from './subscriptions.js';

/** WebSocket subscriptions open on one node at a time, and per participant. */
export const LIVE_SUBSCRIPTIONS_MAX = 64;
export const LIVE_SUBSCRIPTIONS_PER_PARTICIPANT_MAX = 4;
/** A subscriber sends nothing; a frame larger than this closes its connection. */
const LIVE_MESSAGE_BYTES_MAX = 1024;

export interface EpcisRestOptions {
  /** Formats beyond JSON and JSON-LD (EPCIS XML, from the XML converter). */
  formats?: readonly EpcisFormat[];
  webhooks?: Partial<WebhookOptions>;
}

export interface EpcisRestBinding {
  router: Router;
  /** Takes a WebSocket upgrade under the base path; false for any other request. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Loads stored subscriptions and starts following new blocks. */
  start(): Promise<void>;
  /** Ends deliveries and live subscriptions. */
  stop(): Promise<void>;
}

/** The methods each path allows, for OPTIONS and 405. */
const ALLOWED: Array<[RegExp, string]> = [
  [/^\/?$/, 'OPTIONS, GET'],
  [/^\/capture$/, 'OPTIONS, GET, POST'],
  [/^\/capture\/[^/]+$/, 'OPTIONS, GET'],
  [/^\/events$/, 'OPTIONS, GET, POST'],
  [/^\/events\/[^/]+$/, 'OPTIONS, GET'],
  [/^\/eventTypes(?:\/[^/]+(?:\/events)?)?$/, 'OPTIONS, GET'],
  [new RegExp(`^/(?:${Object.keys(TOP_LEVEL_RESOURCES).join('|')})(?:/[^/]+(?:/events)?)?$`), 'OPTIONS, GET'],
  [/^\/queries$/, 'OPTIONS, GET, POST'],
  [/^\/queries\/[^/]+$/, 'OPTIONS, GET, DELETE'],
  [/^\/queries\/[^/]+\/events$/, 'OPTIONS, GET'],
  [/^\/queries\/[^/]+\/subscriptions$/, 'OPTIONS, GET, POST'],
  [/^\/queries\/[^/]+\/subscriptions\/[^/]+$/, 'OPTIONS, GET, DELETE'],
];

function allowedMethods(path: string): string | undefined {
  return ALLOWED.find(([pattern]) => pattern.test(path))?.[1];
}

/** A refusal written on a socket that was to be upgraded: problem+json, then closed. */
function refuseUpgrade(socket: Duplex, error: ApiError, instance: string): void {
  const body = JSON.stringify(problemOf(error, instance));
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 501: 'Not Implemented', 503: 'Service Unavailable' };
  const headers = Object.entries(error.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${error.status} ${reasons[error.status] ?? 'Error'}\r\n${headers}Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function epcisRestBinding(backend: EpcisBackend, basePath: string, options: EpcisRestOptions = {}): EpcisRestBinding {
  const media = new EpcisMedia(options.formats);
  const subscriptions = new SubscriptionService(backend, { ...DEFAULT_WEBHOOK_OPTIONS, ...options.webhooks });
  const router = Router();

  router.options('/{*path}', (request: Request, response: Response) => {
    const allowed = allowedMethods(request.path);
    if (allowed === undefined) return problemNotFound(request, response);
    response.set(EPCIS_VERSION_HEADERS).set({ Allow: allowed, 'GS1-EPCIS-Min': '2.0.0', 'GS1-EPCIS-Max': '2.0.0', 'GS1-CBV-Min': '2.0.0', 'GS1-CBV-Max': '2.0.0', 'GS1-Vendor-Version': 'custodia' });
    if (request.path === '/capture' || request.path === '/events') response.set(captureLimitHeaders(backend)).set('GS1-Capture-Error-Behaviour', 'rollback, proceed');
    response.status(204).end();
  });
  router.use(versionDemands);
  router.use(captureRoutes(backend, media));
  router.use(eventRoutes(backend, media));
  router.use(queryRoutes(backend, media, subscriptions));
  router.use((request: Request, response: Response) => {
    const allowed = allowedMethods(request.path);
    if (allowed === undefined) return problemNotFound(request, response);
    response.setHeader('Allow', allowed);
    throw new ApiError(405, 'method-not-allowed', `${request.method} is not allowed on ${request.path.slice(0, 256)}; allowed: ${allowed}`, '');
  });
  router.use(problemHandler((error) => backend.warn({ error }, 'EPCIS binding request failed')));

  const sockets = new WebSocketServer({ noServer: true, maxPayload: LIVE_MESSAGE_BYTES_MAX });
  const livePath = new RegExp(`^${basePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/queries/([^/?]+)/events(?:\\?.*)?$`);

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const match = livePath.exec(request.url ?? '');
    if (match === null) return false;
    const instance = (request.url ?? '').split('?')[0]!.slice(0, 512);
    void (async () => {
      const reader = await backend.authenticate({ method: 'GET', originalUrl: request.url ?? '', headers: request.headers });
      // Query names are plain ASCII: an escaped name is no query's.
      const name = queryNameSchema.safeParse(match[1]);
      const query = name.success ? await backend.storage.query(reader.participant, name.data) : undefined;
      if (query === undefined) throw new ApiError(404, 'not-found', `${reader.participant} has no query named ${match[1]!.slice(0, 64)}`, 'queryName');
      const search = new URL(request.url ?? '', 'http://localhost').searchParams;
      if (search.get('stream') !== 'true' || [...search.keys()].some((key) => key !== 'stream')) {
        throw new ApiError(400, 'subscription-controls', 'a WebSocket subscription asks for ?stream=true (scheduled subscriptions are not offered here)', 'stream');
      }
      if (subscriptions.liveCount() >= LIVE_SUBSCRIPTIONS_MAX) throw new ApiError(503, 'too-many-subscriptions', `this node serves at most ${LIVE_SUBSCRIPTIONS_MAX} live subscriptions; retry later`, '', { 'Retry-After': '5' });
      if (subscriptions.liveCount(reader.participant) >= LIVE_SUBSCRIPTIONS_PER_PARTICIPANT_MAX) {
        throw new ApiError(429, 'too-many-subscriptions-for-participant', `${reader.participant} already holds ${LIVE_SUBSCRIPTIONS_PER_PARTICIPANT_MAX} live subscriptions on this node`, '', { 'Retry-After': '5' });
      }
      sockets.handleUpgrade(request, socket, head, (webSocket) => subscriptions.addLive(webSocket, reader, query.name, query.query));
    })().catch((error: unknown) => {
      if (error instanceof ApiError) return refuseUpgrade(socket, error, instance);
      backend.warn({ error }, 'a WebSocket subscription could not be opened');
      refuseUpgrade(socket, new ApiError(500, 'internal', 'internal error'), instance);
    });
    return true;
  };

  return {
    router,
    upgrade,
    start: async () => {
      await backend.storage.opened();
      await subscriptions.start();
    },
    stop: async () => {
      await subscriptions.stop();
      sockets.close();
    },
  };
}
