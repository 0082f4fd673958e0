/**
 * The reads half of docs/security.md's authorisation matrix, cell by cell, against a real
 * validator holding the demo supply chain: each endpoint, asked without a credential, with a
 * token no participant holds, by a participant that is not a party to the data, by one that is,
 * and by an auditor, answers as the table says; `(filtered)` answers leave out what the reader
 * may not see, `(redacted)` ones list such items without their custody. The table is read from the
 * document, and every GET the API serves must have a row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_OPERATIONS } from '../../api/http/index.js';
import { signReadRequest } from '../../api/http/read-signature.js';
import { markdownTable, plain } from '../support/markdown-table.js';
import { CHAIN_ID, get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';
import { openStream } from './support/sse.js';

const table = markdownTable('docs/security.md', 'Reads: endpoint by reader');
const READERS = ['none', 'unknown', 'non-party', 'party', 'auditor'] as const;
type ReaderKind = (typeof READERS)[number];

let node: ApiNode;
/** The block of the retailer's receipt (the test node proposes every 50 ms, so the newest blocks are mostly empty). */
let receiptHeight: number;

beforeAll(async () => {
  node = await startApiNode();
  const receipt = await get(`${node.url}/v1/transactions/${node.extras.receiptTransactionId}`);
  receiptHeight = receipt.body.height;
  expect(receiptHeight).toBeGreaterThan(0);
}, 60_000);

afterAll(async () => {
  await node?.close();
});

/** A reader's credential: a demo participant's read token where it has one, else requests signed with its key. */
type Credential = { token: string } | { signedBy: string } | undefined;

interface Case {
  path: () => string;
  nonParty: Credential;
  party: Credential;
  /** How many data items an answer holds, for `(filtered)` cells. */
  count?: (body: any, text: string) => number;
  /** Whether an answer lists an item without its custody, for `(redacted)` cells. */
  redacted?: (body: any, text: string) => boolean;
}

const encode = encodeURIComponent;
const farm = { token: TOKENS.farm };
const retailer = { token: TOKENS.retailer };
const publicCase = (path: () => string): Case => ({ path, nonParty: farm, party: retailer });
const events = (body: any) => body.epcisBody.queryResults.resultsBody.eventList.length;

const CASES: Record<string, Case> = {
  'GET /v1/ledger/head': publicCase(() => '/v1/ledger/head'),
  'GET /v1/blocks': publicCase(() => '/v1/blocks?limit=2'),
  'GET /v1/blocks/{height}': publicCase(() => '/v1/blocks/1'),
  'GET /v1/blocks-with-transactions': publicCase(() => '/v1/blocks-with-transactions?limit=2'),
  // An admin is a party to no goods: it is listed the blocks, with none of their events.
  'GET /v1/block-events': { path: () => `/v1/block-events?from=${Math.max(1, receiptHeight - 50)}&limit=100`, nonParty: { signedBy: 'admin1' }, party: retailer, count: (body) => body.blocks.reduce((sum: number, block: { events: unknown[] }) => sum + block.events.length, 0) },
  'GET /v1/transactions/{id}': publicCase(() => `/v1/transactions/${node.extras.receiptTransactionId}`),
  'GET /v1/epcis/capture/{id}': publicCase(() => `/v1/epcis/capture/${node.extras.receiptTransactionId}`),
  'GET /v1/genesis': publicCase(() => '/v1/genesis'),
  'GET /v1/openapi.json': publicCase(() => '/v1/openapi.json'),
  'GET /v1/proofs/consistency': publicCase(() => '/v1/proofs/consistency?from=1&to=2'),
  // The farm grew the lettuce; the salad made of it went to the retailer, never through the farm.
  'GET /v1/events': { path: () => `/v1/events?MATCH_anyEPCClass=${encode(node.demo.saladLot)}`, nonParty: farm, party: retailer, count: events },
  'GET /v1/items/{epc}/history': { path: () => `/v1/items/${encode(node.demo.saladLot)}/history`, nonParty: farm, party: retailer },
  'GET /v1/items/{epc}/trace': {
    path: () => `/v1/items/${encode(node.demo.saladLot)}/trace?direction=back`,
    nonParty: farm,
    party: retailer,
    redacted: (body) => body.nodes.some((entry: { redacted?: boolean }) => entry.redacted === true),
  },
  // The demo's stamp is a word of every lot and the start of every crate's serial: the retailer finds only its salad, an admin nothing.
  'GET /v1/search': { path: () => `/v1/search?q=${encode(node.demo.saladLot.split('-').pop()!)}`, nonParty: { signedBy: 'admin1' }, party: retailer, count: (body) => body.results.length },
  // An admin is a party to no goods; the retailer to the salad, not to the lettuce it was made of.
  'GET /v1/recalls/{id}/scope': {
    path: () => `/v1/recalls/${node.demo.recallId}/scope`,
    nonParty: { signedBy: 'admin1' },
    party: retailer,
    redacted: (body) => body.members.some((member: { redacted?: boolean }) => member.redacted === true),
  },
  'GET /v1/recalls/{id}/scope.csv': {
    path: () => `/v1/recalls/${node.demo.recallId}/scope.csv`,
    nonParty: { signedBy: 'admin1' },
    party: retailer,
    redacted: (_body, text) => text.includes('not shared with you'),
  },
  'GET /v1/proofs/state/{key}': { path: () => `/v1/proofs/state/${encode(`lot/${node.demo.saladLot}`)}`, nonParty: farm, party: retailer },
  'GET /v1/proofs/transactions/{id}': { path: () => `/v1/proofs/transactions/${node.extras.receiptTransactionId}`, nonParty: { token: TOKENS.carrier }, party: retailer },
  'GET /v1/proofs/transactions/{id}/tlog-proof': { path: () => `/v1/proofs/transactions/${node.extras.receiptTransactionId}/tlog-proof`, nonParty: { token: TOKENS.carrier }, party: retailer },
  'GET /v1/approvals': { path: () => `/v1/approvals?pendingFor=${encode(node.participantId('lab'))}`, nonParty: farm, party: { signedBy: 'lab' } },
  'GET /v1/approvals/{id}': { path: () => `/v1/approvals/${node.extras.pendingApprovalId}`, nonParty: retailer, party: farm },
  'GET /v1/exports/epcis': { path: () => `/v1/exports/epcis?epc=${encode(node.demo.saladLot)}`, nonParty: farm, party: retailer, count: (body) => body.epcisBody.eventList.length },
  'GET /v1/exports/fsma204.csv': { path: () => `/v1/exports/fsma204.csv?epc=${encode(node.demo.saladLot)}`, nonParty: farm, party: retailer, count: (_body, text) => text.trim().split('\n').length - 1 },
  // The stream's content follows the party rule too: test/api/stream.test.ts "participants see only their own transactions".
  'GET /v1/stream': { path: () => '/v1/stream', nonParty: farm, party: retailer },
};

function headersOf(reader: ReaderKind, testCase: Case, path: string): Record<string, string> {
  const credential: Credential =
    reader === 'none' ? undefined : reader === 'unknown' ? { token: 'a-token-no-participant-holds' } : reader === 'auditor' ? { token: TOKENS.regulator } : reader === 'party' ? testCase.party : testCase.nonParty;
  if (credential === undefined) return {};
  if ('token' in credential) return { authorization: `Bearer ${credential.token}` };
  return signReadRequest(CHAIN_ID, node.participantId(credential.signedBy), node.signers[credential.signedBy]!.seed, 'GET', path, Date.now());
}

async function ask(endpoint: string, reader: ReaderKind): Promise<{ status: number; body: any; text: string }> {
  const testCase = CASES[endpoint]!;
  const path = testCase.path();
  const headers = headersOf(reader, testCase, path);
  if (endpoint === 'GET /v1/stream') {
    const stream = await openStream(`${node.url}${path}`, headers);
    const status = stream.response.status;
    const text = status === 200 ? '' : await stream.response.text();
    stream.close();
    return { status, body: text === '' ? undefined : JSON.parse(text), text };
  }
  return get(`${node.url}${path}`, undefined, headers);
}

describe("docs/security.md's authorisation matrix of reads", () => {
  it('has a row for every GET the API serves, and a column for each kind of reader', () => {
    expect(table.header.slice(1)).toEqual([...READERS]);
    const rows = table.rows.map((row) => plain(row[0]!)).sort();
    const served = API_OPERATIONS.filter((operation) => operation.method === 'get').map((operation) => `GET ${operation.path}`).sort();
    expect(rows).toEqual(served);
    expect(Object.keys(CASES).sort()).toEqual(served);
  });

  for (const row of table.rows) {
    const endpoint = plain(row[0]!);
    it(`holds for ${endpoint}`, async () => {
      const testCase = CASES[endpoint]!;
      const answers = new Map<ReaderKind, Awaited<ReturnType<typeof ask>>>();
      for (const [index, reader] of READERS.entries()) {
        const cell = row[index + 1]!;
        const [status, qualifier] = /^(\d{3})(?: \((filtered|redacted)\))?$/.exec(cell)!.slice(1);
        const answer = await ask(endpoint, reader);
        answers.set(reader, answer);
        expect(answer.status, `${endpoint} as ${reader}: ${answer.text.slice(0, 200)}`).toBe(Number(status));
        if (answer.status >= 400) expect(answer.body, `${endpoint} as ${reader}`).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        if (qualifier === 'redacted') expect(testCase.redacted!(answer.body, answer.text), `${endpoint} as ${reader} redacts`).toBe(true);
        if (reader === 'auditor' && testCase.redacted !== undefined) expect(testCase.redacted(answer.body, answer.text), `${endpoint} as auditor redacts nothing`).toBe(false);
      }
      // Filtered: the auditor sees more than a party, who sees something; a non-party given 200 sees less than a party.
      if (testCase.count !== undefined) {
        const count = (reader: ReaderKind) => testCase.count!(answers.get(reader)!.body, answers.get(reader)!.text);
        expect(count('party'), `${endpoint}: the party sees its own`).toBeGreaterThan(0);
        expect(count('auditor'), `${endpoint}: the auditor sees everything`).toBeGreaterThan(count('party'));
        if (answers.get('non-party')!.status === 200) expect(count('non-party'), `${endpoint}: the non-party sees none of it`).toBe(0);
      }
    });
  }
});
