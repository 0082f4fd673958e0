/**
 * GET /v1/block-events (api/http/block-event-routes.ts), against a real validator with the demo
 * data: a range is consecutive blocks from `from`, longer than one step of the store reads, with
 * `next` where it stops short of the head; an auditor sees every event of a block, and a
 * participant only those it is a party to (the party rule), block by block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

interface BlockEvents {
  head: number;
  from: number;
  next?: number;
  blocks: { height: number; hash: string; timestamp: number; events: { reference: string; txId: string; event: Record<string, unknown> }[] }[];
}

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
}, 60_000);

afterAll(async () => {
  await node?.close();
});

async function blockEvents(query: string, token: string): Promise<BlockEvents> {
  const answer = await get(`${node.url}/v1/block-events?${query}`, token);
  expect(answer.status).toBe(200);
  return answer.body as BlockEvents;
}

describe('GET /v1/block-events', () => {
  it('answers consecutive blocks from `from`, with `next` when the range stops before the head', async () => {
    const whole = await blockEvents('from=1&limit=100', TOKENS.regulator);
    // The demo data spans more blocks than the route reads from the store at once (8).
    expect(whole.head).toBeGreaterThan(10);
    const limit = Math.min(whole.head - 1, 12);
    const part = await blockEvents(`from=2&limit=${limit}`, TOKENS.regulator);
    expect(part.blocks.map((block) => block.height)).toEqual(Array.from({ length: limit }, (_, index) => 2 + index));
    expect(part.next).toBe(2 + limit);
    expect(part.blocks).toEqual(whole.blocks.slice(1, 1 + limit));
    // Without `from`, the newest blocks; the chain goes on growing, so the answer's own head counts.
    const tail = await blockEvents('limit=3', TOKENS.regulator);
    expect(tail.blocks.map((block) => block.height)).toEqual([tail.head - 2, tail.head - 1, tail.head]);
    expect(tail.next).toBeUndefined();
  });

  it('shows a participant only the events it is a party to, and an auditor all of them', async () => {
    const all = await blockEvents('from=1&limit=100', TOKENS.regulator);
    // The same blocks, whatever the chain has added since.
    const farms = await blockEvents(`from=1&limit=${all.blocks.length}`, TOKENS.farm);
    expect(farms.blocks.map((block) => block.height)).toEqual(all.blocks.map((block) => block.height));
    const references = (answer: BlockEvents) => answer.blocks.flatMap((block) => block.events.map((event) => event.reference));
    const seenByAll = new Set(references(all));
    expect(references(farms).every((reference) => seenByAll.has(reference))).toBe(true);
    expect(references(farms).length).toBeGreaterThan(0);
    expect(references(farms).length).toBeLessThan(seenByAll.size);
  });

  it('refuses a reader without a credential and a limit beyond its bound', async () => {
    expect((await get(`${node.url}/v1/block-events`)).status).toBe(401);
    expect((await get(`${node.url}/v1/block-events?limit=101`, TOKENS.regulator)).status).toBe(400);
  });
});
