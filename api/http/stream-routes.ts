/**
 * GET /v1/stream: server-sent events for new commits (WHATWG HTML, "Server-sent events"). Each
 * executed block is one `commit` event whose id is the block height, so a client that reconnects
 * with Last-Event-ID receives the blocks it missed (up to STREAM_REPLAY_BLOCKS_MAX of them; older
 * ones are in GET /v1/blocks). `?epc=` keeps only blocks with an event naming that EPC or class.
 * Comment lines every heartbeat interval keep proxies from closing an idle stream and let the
 * client notice a dead one.
 *
 * Block heights and hashes are public; the transactions and events a notice lists follow the
 * party rule (auditors and regulators see all). Streams are bounded in number, in all and per
 * participant (so that one reader cannot take every stream of a node), and a client that stops
 * reading is disconnected once STREAM_BUFFERED_BYTES_MAX is waiting for it, so a slow reader
 * cannot grow the node's memory. A validator that stops ends its streams.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { eventIndexEntries } from '../../ledger/store/event-index.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { transactionId } from '../../ledger/model/transaction.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { ApiError } from '../../node/http/errors.js';
import type { ExecutedBlockNotice, ValidatorContext } from '../../node/validator.js';
import { canReadEvent, readerOf, type ReadAccess, type Reader } from './access.js';
import { eventsOfBlock } from './block-events.js';
import { text } from './event-fields.js';
import type { Operation } from './operations.js';
import { hash } from './schemas.js';
import { identifierParameter, parseRequestPart } from './validation.js';

export const STREAMS_MAX = 64;
/** Streams one participant may hold open on one node at a time, whatever its credential. */
export const STREAMS_PER_PARTICIPANT_MAX = 4;
export const STREAM_HEARTBEAT_INTERVAL_MS = 15_000;
export const STREAM_REPLAY_BLOCKS_MAX = 100;
const STREAM_BUFFERED_BYTES_MAX = 1024 * 1024;
/** What a client waits before reconnecting after the stream drops. */
const RECONNECT_DELAY_MS = 2000;
/** Block notices kept for streams that are a little behind. */
const NOTICES_CACHED_MAX = 256;

export const streamQuery = z.strictObject({ epc: identifierParameter.optional().describe('only blocks with an event naming this EPC or EPC class') });

/** The data of one `commit` event (JSON). */
export const commitNoticeSchema = z.object({
  height: z.number().int(),
  blockHash: hash,
  timestamp: z.number().int().describe('the block time, ms'),
  transactions: z.array(z.object({ id: hash, type: z.string(), status: z.enum(['accepted', 'rejected']) })),
  events: z.array(z.object({ reference: z.string(), txId: hash, eventType: z.string(), eventId: z.string(), bizStep: z.string().optional() })),
});
type CommitNotice = z.infer<typeof commitNoticeSchema>;

export const streamOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/stream',
    operationId: 'commitStream',
    summary: 'server-sent events: one `commit` event per executed block',
    description:
      'text/event-stream. Each event is `id: <height>`, `event: commit`, `data: <JSON as in the schema>`. Send Last-Event-ID to resume. ' +
      `Comment lines (": heartbeat") arrive every ${STREAM_HEARTBEAT_INTERVAL_MS / 1000} s. At most ${STREAMS_MAX} streams per node at a time, ${STREAMS_PER_PARTICIPANT_MAX} per participant.`,
    tags: ['streams'],
    access: 'read',
    query: streamQuery,
    responses: { 200: { description: 'the stream; each data line is a commit notice', contentType: 'text/event-stream', schema: commitNoticeSchema } },
    errors: {
      400: ['bad-query', 'bad-last-event-id'],
      401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'],
      429: ['too-many-streams-for-participant'],
      503: ['too-many-streams'],
    },
  },
];

interface BlockContents {
  notice: CommitNotice;
  signersByTransaction: Map<string, readonly string[]>;
  events: Array<{ stored: StoredEvent; names: Set<string> }>;
}

async function readBlockContents(store: BlockStore, height: number): Promise<BlockContents | undefined> {
  const [block, results, ledger] = await Promise.all([store.getBlock(height), store.getResults(height), store.ledgerState(height)]);
  if (block === undefined || results === undefined || ledger === undefined) return undefined;
  const signersByTransaction = new Map<string, readonly string[]>();
  const transactions: CommitNotice['transactions'] = [];
  const events: BlockContents['events'] = [];
  for (const [position, transaction] of block.transactions.entries()) {
    const id = transactionId(transaction.body);
    signersByTransaction.set(id, transaction.body.signers);
    transactions.push({ id, type: transaction.body.type, status: results[position]?.status === 'accepted' ? 'accepted' : 'rejected' });
  }
  for (const stored of await eventsOfBlock(store, height, block, results)) {
    const names = new Set(eventIndexEntries(stored.event, stored.participants, stored.eventHash).filter((entry) => entry.index === 'anyEpc' || entry.index === 'epcClass').map((entry) => entry.value));
    events.push({ stored, names });
  }
  const notice: CommitNotice = { height, blockHash: ledger.blockHash, timestamp: block.header.timestamp, transactions, events: [] };
  return { notice, signersByTransaction, events };
}

/** What one reader may see of a block, or undefined when the stream's filter leaves nothing. */
function viewFor(contents: BlockContents, reader: Reader, epc: string | undefined): CommitNotice | undefined {
  const visible = contents.events.filter((entry) => canReadEvent(reader, entry.stored));
  const shown = epc === undefined ? visible : visible.filter((entry) => entry.names.has(epc));
  if (epc !== undefined && shown.length === 0) return undefined;
  const transactions = reader.readsEverything
    ? contents.notice.transactions
    : contents.notice.transactions.filter((transaction) => contents.signersByTransaction.get(transaction.id)?.includes(reader.participant) || visible.some((entry) => entry.stored.txId === transaction.id));
  return {
    ...contents.notice,
    transactions: epc === undefined ? transactions : transactions.filter((transaction) => shown.some((entry) => entry.stored.txId === transaction.id)),
    events: shown.map(({ stored }) => {
      const bizStep = text(stored.event, 'bizStep');
      return {
        reference: stored.reference,
        txId: stored.txId,
        eventType: text(stored.event, 'type') ?? 'unknown',
        eventId: text(stored.event, 'eventID') ?? stored.eventHash ?? stored.reference,
        ...(bizStep === undefined ? {} : { bizStep }),
      };
    }),
  };
}

export interface StreamOptions {
  heartbeatIntervalMs?: number;
  /** STREAMS_MAX and STREAMS_PER_PARTICIPANT_MAX unless given (tests reach the limits with fewer streams). */
  streamsMax?: number;
  streamsPerParticipantMax?: number;
}

export function streamRoutes(context: ValidatorContext, access: ReadAccess, options: StreamOptions = {}): Router {
  const router = Router();
  const { store } = context;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? STREAM_HEARTBEAT_INTERVAL_MS;
  const streamsMax = options.streamsMax ?? STREAMS_MAX;
  const streamsPerParticipantMax = options.streamsPerParticipantMax ?? STREAMS_PER_PARTICIPANT_MAX;
  const streams = new Set<(height: number) => void>();
  const streamsPerParticipant = new Map<string, number>();
  const contentsByHeight = new Map<number, Promise<BlockContents | undefined>>();

  /** One read of a block's contents, shared by every stream. */
  const contentsAt = (height: number): Promise<BlockContents | undefined> => {
    let contents = contentsByHeight.get(height);
    if (contents === undefined) {
      contents = readBlockContents(store, height);
      contentsByHeight.set(height, contents);
      if (contentsByHeight.size > NOTICES_CACHED_MAX) contentsByHeight.delete(contentsByHeight.keys().next().value!);
    }
    return contents;
  };

  context.onExecuted((executed: ExecutedBlockNotice) => {
    if (streams.size === 0) return;
    for (const deliver of streams) deliver(executed.height);
  });

  router.get('/v1/stream', access.require, async (request: Request, response: Response) => {
    const { epc } = parseRequestPart(streamQuery, request, 'query');
    const reader = readerOf(response);
    const lastEventId = request.headers['last-event-id'];
    let lastHeight: number | undefined;
    if (lastEventId !== undefined) {
      if (typeof lastEventId !== 'string' || !/^[0-9]{1,16}$/.test(lastEventId)) throw new ApiError(400, 'bad-last-event-id', 'Last-Event-ID must be a block height from this stream', 'last-event-id');
      lastHeight = Number(lastEventId);
    }
    if (streams.size >= streamsMax) throw new ApiError(503, 'too-many-streams', `this node serves at most ${streamsMax} streams at a time; retry later`, '', { 'Retry-After': '5' });
    const held = streamsPerParticipant.get(reader.participant) ?? 0;
    if (held >= streamsPerParticipantMax) {
      throw new ApiError(429, 'too-many-streams-for-participant', `${reader.participant} already has ${held} streams open on this node, the most one participant may`, '', { 'Retry-After': '5' });
    }

    response.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();

    let closed = false;
    let sent = lastHeight ?? store.head().height;
    let queue: Promise<void> = Promise.resolve();
    const write = (chunk: string) => {
      if (closed) return;
      response.write(chunk);
      if (response.writableLength > STREAM_BUFFERED_BYTES_MAX) response.destroy();
    };
    const sendUpTo = async (height: number) => {
      for (let next = Math.max(sent + 1, height - STREAM_REPLAY_BLOCKS_MAX + 1); next <= height && !closed; next++) {
        const contents = await contentsAt(next);
        sent = next;
        if (contents === undefined) continue;
        const view = viewFor(contents, reader, epc);
        if (view !== undefined) write(`id: ${next}\nevent: commit\ndata: ${JSON.stringify(view)}\n\n`);
      }
    };
    const deliver = (height: number) => {
      queue = queue.then(() => sendUpTo(height)).catch((error: unknown) => {
        context.logger.warn({ error }, 'stream delivery failed');
        response.destroy();
      });
    };
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatIntervalMs);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      streams.delete(deliver);
      const remaining = (streamsPerParticipant.get(reader.participant) ?? 1) - 1;
      if (remaining === 0) streamsPerParticipant.delete(reader.participant);
      else streamsPerParticipant.set(reader.participant, remaining);
    };
    streamsPerParticipant.set(reader.participant, held + 1);
    response.on('close', close);
    streams.add(deliver);
    context.lifecycle.longLived(response, () => response.end());
    write(`retry: ${RECONNECT_DELAY_MS}\n: connected at height ${store.head().height}\n\n`);
    if (lastHeight !== undefined) deliver(store.head().height);
  });

  return router;
}
