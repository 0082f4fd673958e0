/**
 * The gateway's block feed (tools/gateway/block-feed.ts) against validators played by small HTTP
 * servers: it learns the head from whichever validator answers what the API answers, puts one
 * that serves a gap or an event of another block in backoff, announces each new height once,
 * serves each block's events as the participant's, and, for a block it no longer holds while no
 * validator answers, waits and then serves it: it never skips a height.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../ledger/crypto/ed25519.js';
import { eventReference } from '../../../ledger/store/keys.js';
import { BlockFeed } from '../../../tools/gateway/block-feed.js';
import { DEFAULT_LINK_OPTIONS, ValidatorLink } from '../../../tools/gateway/validator-link.js';
import { until } from './support.js';

const PARTICIPANT = 'urn:epc:id:pgln:0614141.00001';
const TX = 'ab'.repeat(32);

interface FakeBlock {
  height: number;
  timestamp: number;
  events: Array<{ reference: string; txId: string; event: Record<string, unknown> }>;
}

/** A validator's /v1/block-events over `chain`, bent by `bend` (the liar's lie), or 503 while `down`. */
class FakeValidator {
  readonly chain: FakeBlock[] = [];
  down = false;
  private constructor(
    private readonly server: Server,
    private readonly bend: (answer: { head: number; from: number; blocks: FakeBlock[] }) => unknown,
  ) {}

  static async start(bend: (answer: { head: number; from: number; blocks: FakeBlock[] }) => unknown = (answer) => answer): Promise<FakeValidator> {
    const server = createServer();
    const validator = new FakeValidator(server, bend);
    server.on('request', (request, response) => {
      const url = new URL(request.url ?? '', 'http://localhost');
      if (validator.down || url.pathname !== '/v1/block-events') {
        response.statusCode = validator.down ? 503 : 404;
        return response.end();
      }
      const head = validator.chain.length;
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const from = url.searchParams.has('from') ? Number(url.searchParams.get('from')) : Math.max(1, head - limit + 1);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(validator.bend({ head, from, blocks: validator.chain.slice(from - 1, from - 1 + limit) })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return validator;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Appends a block holding one event named after its height. */
  commit(): void {
    const height = this.chain.length + 1;
    this.chain.push({ height, timestamp: 1_700_000_000_000 + height, events: [{ reference: eventReference(height, 0, 0), txId: TX, event: { type: 'ObjectEvent', eventID: `urn:uuid:block-${height}` } }] });
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // close() ends only the connections idle at that moment; one carrying a request then stays
    // open for as long as a client keeps it alive.
    this.server.closeAllConnections();
    return closed;
  }
}

const started: Array<{ close(): Promise<void> } | BlockFeed> = [];
afterEach(async () => {
  // The feeds first: a feed still polling would keep reusing its connections to the servers.
  for (const item of started.splice(0).reverse()) await (item instanceof BlockFeed ? item.stop() : item.close());
});

function feedOver(urls: string[], cachedBlocksMax = 256): { feed: BlockFeed; link: ValidatorLink; heights: number[] } {
  const keys = generateKeyPair();
  const link = new ValidatorLink({ ...DEFAULT_LINK_OPTIONS, backoffBaseMs: 20, backoffMaxMs: 50, urls, chainId: 'test-chain', signer: { participant: PARTICIPANT, publicKey: keys.publicKey, seed: keys.seed } });
  const feed = new BlockFeed(link, { participant: PARTICIPANT, pollIntervalMs: 10, blocksPerReadMax: 2, cachedBlocksMax, cachedBytesMax: 1024 * 1024, warn: () => undefined });
  const heights: number[] = [];
  feed.onHeight((height) => heights.push(height));
  started.push(feed);
  return { feed, link, heights };
}

describe('the gateway’s block feed', () => {
  it('puts a validator that serves a gap or an event of another block in backoff and follows the next, announcing each new height once', async () => {
    const gap = await FakeValidator.start((answer) => ({ ...answer, blocks: answer.blocks.slice(1) }));
    const misplaced = await FakeValidator.start((answer) => ({ ...answer, blocks: answer.blocks.map((block) => ({ ...block, events: block.events.map((event) => ({ ...event, reference: eventReference(block.height + 1, 0, 0) })) })) }));
    const honest = await FakeValidator.start();
    started.push(gap, misplaced, honest);
    for (const validator of [gap, misplaced, honest]) for (let count = 0; count < 3; count++) validator.commit();
    const { feed, link, heights } = feedOver([gap.url, misplaced.url, honest.url]);
    expect(feed.head()).toBeUndefined();
    feed.start();
    await until(() => feed.head() === 3, 'the head from the honest validator');
    // Five more blocks, read two at a time: each height announced once, in order.
    for (let count = 0; count < 5; count++) honest.commit();
    await until(() => feed.head() === 8, 'the new blocks');
    expect(heights).toEqual([3, 4, 5, 6, 7, 8]);
    expect(link.validators[0]!.lastError).toMatch(/answered from|no block from/);
    expect(link.validators[1]!.lastError).toMatch(/an event of another block/);
    expect(await feed.eventsAt(5)).toEqual([{ reference: eventReference(5, 0, 0), height: 5, position: 0, eventIndex: 0, txId: TX, participants: [PARTICIPANT], event: { type: 'ObjectEvent', eventID: 'urn:uuid:block-5' } }]);
    expect(await feed.timeAt(2)).toBe(1_700_000_000_002);
    expect(await feed.eventsAt(9)).toBeUndefined();
  });

  it('waits for a block it no longer holds while no validator answers, and serves it once one does', async () => {
    const validator = await FakeValidator.start();
    started.push(validator);
    for (let count = 0; count < 6; count++) validator.commit();
    const { feed, link } = feedOver([validator.url], 2);
    feed.start();
    await until(() => feed.head() === 6, 'the head');
    validator.down = true;
    let served: unknown;
    const reading = feed.eventsAt(1).then((events) => (served = events));
    await until(() => link.validators[0]!.failures >= 2, 'the read to be refused twice');
    expect(served).toBeUndefined();
    validator.down = false;
    await reading;
    expect(served).toEqual([expect.objectContaining({ height: 1, event: { type: 'ObjectEvent', eventID: 'urn:uuid:block-1' } })]);
  });
});
