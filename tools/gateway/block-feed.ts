/**
 * The participant gateway's feed of new blocks (api/epcis-rest/backend.ts, EventFeed; docs/epcis.md,
 * "Participant gateway"), from which the binding serves webhook and WebSocket subscriptions to
 * the participant's own systems. It follows the validators through the validator link: every
 * `pollIntervalMs` one read signed as the participant, GET /v1/block-events?from=<next height>,
 * says the validator's head and brings the new blocks' events that the participant may read
 * (the validator applies the party rule to the participant itself, as for forwarded queries).
 *
 * Never a height skipped: the head the feed gives out (head()) advances only through blocks it
 * has read, consecutive from the last; while no validator answers it stands still, and once one
 * does the feed goes on from there. A block a subscription reads that is no longer cached is read
 * again, and waited for while no validator answers; only stop() ends that wait.
 *
 * Bounded: blocksPerReadMax blocks per read, one poll and one other read outstanding at a time,
 * at most cachedBlocksMax blocks and about cachedBytesMax bytes of events cached, each answer
 * within the link's answerBytesMax; a validator that answers what the API never answers (a range
 * that does not start where asked, a gap, a height past its head, an event of another block) is
 * put in backoff like any failing validator, and the next is used.
 *
 * Trust: what a validator serves here is its word, as for forwarded queries; captures alone are
 * proven (forwarder.ts). A faulty validator could leave an event out of a delivery or add one.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { ApiError } from '../../node/http/errors.js';
import type { EventFeed } from '../../api/epcis-rest/backend.js';
import { NoValidatorAvailable, type ValidatorAnswer, type ValidatorLink } from './validator-link.js';

export interface BlockFeedOptions {
  /** The participant the feed reads as: every event it serves is one the validator let it read. */
  participant: string;
  /** Pause between two reads of the head when the feed is not behind. */
  pollIntervalMs: number;
  /** Blocks asked for in one read (a validator answers at most 100). */
  blocksPerReadMax: number;
  /** Blocks whose events are kept for the subscriptions that read them. */
  cachedBlocksMax: number;
  /** Bytes of events (as JSON) kept in that cache, about. */
  cachedBytesMax: number;
  warn: (fields: Record<string, unknown>, message: string) => void;
}

export const DEFAULT_BLOCK_FEED_OPTIONS = { pollIntervalMs: 1000, blocksPerReadMax: 32, cachedBlocksMax: 256, cachedBytesMax: 16 * 1024 * 1024 } as const;

/** height:position:index in fixed-width hex (ledger/store/keys.ts, eventReference). */
const REFERENCE_PATTERN = /^([0-9a-f]{16}):([0-9a-f]{4}):([0-9a-f]{4})$/;

function referenceParts(reference: string): { height: number; position: number; eventIndex: number } {
  const [, height, position, eventIndex] = REFERENCE_PATTERN.exec(reference)!;
  return { height: parseInt(height!, 16), position: parseInt(position!, 16), eventIndex: parseInt(eventIndex!, 16) };
}

const blockEventsAnswer = z.object({
  head: z.number().int().min(0),
  from: z.number().int().min(1),
  blocks: z.array(
    z.object({
      height: z.number().int().min(1),
      timestamp: z.number().int().min(0),
      events: z.array(z.object({ reference: z.string().regex(REFERENCE_PATTERN), txId: z.string().regex(/^[0-9a-f]{64}$/), eventHash: z.string().max(256).optional(), event: z.record(z.string(), z.unknown()) })),
    }),
  ),
});
type BlockEventsAnswer = z.infer<typeof blockEventsAnswer>;

interface CachedBlock {
  timestamp: number;
  events: StoredEvent[];
  bytes: number;
}

/** Why an answer to `from` (or to the newest blocks, when undefined) is not one the API gives, or undefined when it is. */
function unusableRange(answer: ValidatorAnswer, from: number | undefined, limit: number): string | undefined {
  if (answer.status !== 200) return `GET /v1/block-events answered HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
  const parsed = blockEventsAnswer.safeParse(answer.json);
  if (!parsed.success) return `GET /v1/block-events answered what the API does not: ${parsed.error.issues[0]?.message ?? ''}`;
  const { head, blocks } = parsed.data;
  const expectedFrom = from ?? Math.max(1, head - limit + 1);
  if (parsed.data.from !== expectedFrom) return `asked for blocks from ${expectedFrom}, answered from ${parsed.data.from}`;
  if (blocks.length > limit) return `asked for ${limit} blocks, answered ${blocks.length}`;
  for (const [index, block] of blocks.entries()) {
    if (block.height !== parsed.data.from + index || block.height > head) return `block ${block.height} out of place in a range from ${parsed.data.from} to head ${head}`;
    if (block.events.some((event) => referenceParts(event.reference).height !== block.height)) return `block ${block.height} lists an event of another block`;
  }
  if (expectedFrom <= head && blocks.length === 0) return `no block from ${expectedFrom} though its head is ${head}`;
  return undefined;
}

/** A pause that ends early when the feed stops. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

export class BlockFeed implements EventFeed {
  /** The newest height given out: blocks up to it were read, consecutively. */
  private known: number | undefined;
  /** In insertion order, so the oldest read is dropped first. */
  private readonly cache = new Map<number, CachedBlock>();
  private cachedBytes = 0;
  private readonly listeners = new Set<(height: number) => void>();
  /** Reads for blocks no longer cached, one after another. */
  private reads: Promise<unknown> = Promise.resolve();
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly link: ValidatorLink,
    private readonly options: BlockFeedOptions,
  ) {}

  start(): void {
    this.running = this.follow();
  }

  /** Ends the polling; reads waiting for a validator answer undefined. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  head(): number | undefined {
    return this.known;
  }

  onHeight(listener: (height: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async eventsAt(height: number): Promise<StoredEvent[] | undefined> {
    if (this.known === undefined || height < 1 || height > this.known) return undefined;
    while (!this.abort.signal.aborted) {
      const cached = this.cache.get(height);
      if (cached !== undefined) return cached.events;
      // Waited for, never skipped: the subscription resumes here once a validator serves the block.
      let waitMs = 0;
      try {
        // A validator behind this height serves none of it: asked again after a poll interval.
        if (!(await this.readOnce(height, height))) waitMs = this.options.pollIntervalMs;
      } catch (error) {
        if (!(error instanceof NoValidatorAvailable)) throw error;
        waitMs = Math.max(this.options.pollIntervalMs, error.retryInMs);
      }
      if (waitMs > 0) await sleep(waitMs, this.abort.signal);
    }
    return undefined;
  }

  /** One attempt: a subscription asking for an initialRecordTime is answered 503 while no validator answers. */
  async timeAt(height: number): Promise<number | undefined> {
    if (this.known === undefined || height < 1 || height > this.known) return undefined;
    const cached = this.cache.get(height);
    if (cached !== undefined) return cached.timestamp;
    let retryInMs = this.options.pollIntervalMs;
    try {
      // Read backwards: initialRecordTime walks down from the head.
      if (await this.readOnce(Math.max(1, height - this.options.blocksPerReadMax + 1), height)) return this.cache.get(height)?.timestamp;
    } catch (error) {
      if (!(error instanceof NoValidatorAvailable)) throw error;
      retryInMs = error.retryInMs;
    }
    throw new ApiError(503, 'no-validator-reachable', `no validator serves block ${height} to the gateway now; the start of the subscription cannot be found`, '', { 'Retry-After': String(Math.max(1, Math.ceil(retryInMs / 1000))) });
  }

  /**
   * Reads the blocks from `from` up to the head, unless `wanted` is cached meanwhile, after the
   * reads queued before it; whether `wanted` is cached then.
   */
  private readOnce(from: number, wanted: number): Promise<boolean> {
    const read = this.reads.then(async () => {
      if (!this.cache.has(wanted) && !this.abort.signal.aborted) {
        await this.readRange(from, Math.min(this.options.blocksPerReadMax, Math.max(1, (this.known ?? from) - from + 1)));
      }
      return this.cache.has(wanted);
    });
    this.reads = read.catch(() => undefined);
    return read;
  }

  /** One range read (none of it when the validator's head is below `from`), its blocks cached. */
  private async readRange(from: number | undefined, limit: number): Promise<BlockEventsAnswer> {
    const path = `/v1/block-events?${from === undefined ? '' : `from=${from}&`}limit=${limit}`;
    const answer = await this.link.read(path, { signal: this.abort.signal, unusable: (served) => unusableRange(served, from, limit) });
    const parsed = blockEventsAnswer.parse(answer.json);
    for (const block of parsed.blocks) this.remember(block);
    return parsed;
  }

  private remember(block: BlockEventsAnswer['blocks'][number]): void {
    const events: StoredEvent[] = block.events.map((served) => {
      const { position, eventIndex } = referenceParts(served.reference);
      return {
        reference: served.reference,
        height: block.height,
        position,
        eventIndex,
        txId: served.txId,
        // The validator served only what the party rule lets the participant read.
        participants: [this.options.participant],
        ...(served.eventHash === undefined ? {} : { eventHash: served.eventHash }),
        event: served.event as JsonValue,
      };
    });
    const bytes = JSON.stringify(block.events).length;
    const previous = this.cache.get(block.height);
    if (previous !== undefined) {
      this.cache.delete(block.height);
      this.cachedBytes -= previous.bytes;
    }
    this.cache.set(block.height, { timestamp: block.timestamp, events, bytes });
    this.cachedBytes += bytes;
    while (this.cache.size > this.options.cachedBlocksMax || (this.cache.size > 1 && this.cachedBytes > this.options.cachedBytesMax)) {
      const [oldest, dropped] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.cachedBytes -= dropped.bytes;
    }
  }

  /** Polls for new blocks until stopped; goes on at once while behind. */
  private async follow(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let behind = false;
      try {
        const from = this.known === undefined ? undefined : this.known + 1;
        const answer = await this.readRange(from, from === undefined ? 1 : this.options.blocksPerReadMax);
        // A chain with no block yet has a known head all the same.
        const last = answer.blocks.at(-1)?.height ?? (this.known === undefined && answer.head === 0 ? 0 : undefined);
        if (last !== undefined && !this.abort.signal.aborted) {
          const first = this.known === undefined ? last : this.known + 1;
          this.known = last;
          behind = last < answer.head;
          // The first head learnt is announced too: subscriptions kept across a restart resume from their cursors at once.
          for (let height = Math.max(1, first); height <= last; height++) for (const listener of this.listeners) listener(height);
        }
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (!(error instanceof NoValidatorAvailable)) this.options.warn({ error }, 'the gateway block feed failed to read new blocks; it tries again');
      }
      if (!behind) await sleep(this.options.pollIntervalMs, this.abort.signal);
    }
  }
}
