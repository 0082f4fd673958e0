/**
 * The executor fuzz (issue 10): random sequences of blocks of random transactions, from
 * registered participants, strangers and impostors (a registered id with a stranger's key), of
 * every transaction type and some no contract knows, carrying extreme numbers (MAX_VALUE,
 * MIN_VALUE, -0, 2^53 + 1, long decimals), long strings, deep extensions, valid and invalid
 * hand-overs, approvals of earlier requests, and garbage payloads. Two executors run every block:
 * one over a memory state, one over a state that keeps values as the block store does (JSON text,
 * ledger/store/records.ts), so a value whose meaning changes on the way to disk (-0, a number
 * JSON cannot write) shows up as a difference. Asserted: execution never throws, no contract
 * fails (execution-failed would be a bug to fix), every result code is a documented one, and both
 * executors give the same results and state roots after every block.
 *
 * CI runs a fixed seed. On demand, more runs or another seed:
 *   CUSTODIA_FUZZ_RUNS=2000 CUSTODIA_FUZZ_SEED=7 npx vitest run test/contracts/executor-fuzz.test.ts
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { StateWrite } from '../../ledger/model/state.js';
import { MemoryStateTree } from '../../ledger/state-tree/index.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { decodeRecord, encodeRecord } from '../../ledger/store/records.js';
import { executeBlock, TRANSACTION_TYPES } from '../../contracts/executor.js';
import { genesisWrites } from '../../contracts/participants.js';
import { REASON_CODES } from '../../contracts/reasons.js';
import { MemoryState, type StateReader } from '../../contracts/state.js';
import { keyFor } from '../support/test-chain.js';
import { CHAIN_ID, GENESIS_TIME, PARTIES, prefixOf, testConsortium, type PartyName } from './support/harness.js';

const RUNS = Number(process.env['CUSTODIA_FUZZ_RUNS'] ?? 400);
const SEED = Number(process.env['CUSTODIA_FUZZ_SEED'] ?? 20_261_202);

/** What the block store does to a value: JSON text on disk (JSON.stringify writes -0 as 0). */
class StoredState implements StateReader {
  private readonly values = new Map<string, Uint8Array>();

  async get(key: string): Promise<JsonValue | undefined> {
    const bytes = this.values.get(key);
    return bytes === undefined ? undefined : decodeRecord<JsonValue>(bytes);
  }

  apply(writes: readonly StateWrite[]): void {
    for (const write of writes) {
      if (write.value === null) this.values.delete(write.key);
      else this.values.set(write.key, encodeRecord(write.value));
    }
  }
}

const EXTREME_NUMBERS = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  -0,
  0,
  1,
  2 ** 53,
  2 ** 53 + 2,
  9007199254740993,
  1e12,
  1e12 + 1,
  1e12 / 3,
  0.1,
  0.2,
  0.30000000000000004,
  1 / 3,
  123456.78901234567,
  1e-300,
  1e21,
  -1,
  451,
];
const number = fc.oneof(fc.constantFrom(...EXTREME_NUMBERS), fc.integer({ min: 0, max: 20 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const quantity = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 2, arbitrary: fc.constantFrom(...EXTREME_NUMBERS) });

type Signer = PartyName | 'stranger' | 'impostor';
const REGISTERED: PartyName[] = ['farm', 'processor', 'carrier', 'distributor', 'retailer', 'lab', 'regulator', 'admin1', 'admin2'];
/** Mostly those who handle the goods, so that custody rules are reached, not only the signer checks. */
const signer = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Signer>('farm') },
  { weight: 4, arbitrary: fc.constantFrom<Signer>('carrier', 'distributor', 'processor') },
  { weight: 3, arbitrary: fc.constantFrom<Signer>(...REGISTERED) },
  { weight: 1, arbitrary: fc.constantFrom<Signer>('stranger', 'impostor') },
);
const STRANGER = 'urn:epc:id:pgln:0999999.00001';

/** Mostly the farm's goods, which the setup block commissions; some of the processor's. */
const owner = fc.oneof({ weight: 5, arbitrary: fc.constant<PartyName>('farm') }, { weight: 1, arbitrary: fc.constant<PartyName>('processor') });
const lotOf = (owner: PartyName, name: number) => `urn:epc:class:lgtin:${prefixOf(owner)}.107346.L${name}`;
const itemOf = (owner: PartyName, serial: number) => `urn:epc:id:sgtin:${prefixOf(owner)}.107346.${serial}`;
const containerOf = (owner: PartyName, serial: number) => `urn:epc:id:sscc:${prefixOf(owner)}.${1000 + serial}`;
const lot = fc.tuple(owner, fc.integer({ min: 1, max: 3 })).map(([by, name]) => lotOf(by, name));
const item = fc.tuple(owner, fc.integer({ min: 1, max: 4 })).map(([by, serial]) => itemOf(by, serial));
const container = fc.tuple(owner, fc.integer({ min: 1, max: 2 })).map(([by, serial]) => containerOf(by, serial));
const target = fc.oneof({ weight: 4, arbitrary: fc.oneof(lot, item, container) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
const party = fc.oneof({ weight: 3, arbitrary: fc.constantFrom<PartyName>('carrier', 'distributor', 'farm') }, { weight: 1, arbitrary: fc.constantFrom(...REGISTERED) }).map((name) => PARTIES[name].id as string);

/** Nested extension members: mostly within EPCIS_LIMITS.extensionDepthMax (16), sometimes as deep as a transaction may be. */
const deepValue = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 15 }) }, { weight: 1, arbitrary: fc.integer({ min: 16, max: 56 }) }).map((depth) => {
  let value: JsonValue = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? { 'ex:inner': value } : [value];
  return value;
});
const extensionValue = fc.oneof(number, fc.string({ maxLength: 30 }), fc.constant('x'.repeat(4096)), deepValue);

let clock = 0;
const eventTime = () => new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString();
const base = (type: string, extra: Record<string, JsonValue>) => ({ type, eventTime: eventTime(), eventTimeZoneOffset: '+00:00', ...extra });
const quantityList = (entries: Array<[string, number]>) => entries.map(([epcClass, amount]) => ({ epcClass, quantity: amount, uom: 'KGM' }));

type EventSpec =
  | { kind: 'commission-lot'; lot: string; quantity: number; range: boolean }
  | { kind: 'commission-items'; items: string[] }
  | { kind: 'ship'; lots: Array<[string, number]>; items: string[]; to: string }
  | { kind: 'receive'; lots: Array<[string, number]>; items: string[]; from: string }
  | { kind: 'pack' | 'unpack'; parent: string; children: string[] }
  | { kind: 'transform'; inputs: Array<[string, number]>; outputs: Array<[string, number]> }
  | { kind: 'reading'; lots: Array<[string, number]>; value: number; fahrenheit: boolean }
  | { kind: 'destroy'; lots: Array<[string, number]>; items: string[] }
  | { kind: 'extended'; items: string[]; extension: JsonValue };

const lots = fc.array(fc.tuple(lot, quantity), { maxLength: 2 });
const items = fc.uniqueArray(item, { maxLength: 2 });
/** Events that name something: EPCIS requires an epcList or a quantityList entry. */
const someSubjects = fc.record({ lots, items }).filter((subjects) => subjects.lots.length + subjects.items.length > 0);
const eventSpec: fc.Arbitrary<EventSpec> = fc.oneof(
  fc.record({ kind: fc.constant('commission-lot' as const), lot, quantity, range: fc.boolean() }),
  fc.record({ kind: fc.constant('commission-items' as const), items: fc.uniqueArray(item, { minLength: 1, maxLength: 3 }) }),
  someSubjects.chain((subjects) => fc.record({ kind: fc.constant('ship' as const), lots: fc.constant(subjects.lots), items: fc.constant(subjects.items), to: party })),
  someSubjects.chain((subjects) => fc.record({ kind: fc.constant('receive' as const), lots: fc.constant(subjects.lots), items: fc.constant(subjects.items), from: party })),
  fc.record({ kind: fc.constantFrom('pack' as const, 'unpack' as const), parent: container, children: fc.uniqueArray(item, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('transform' as const), inputs: fc.array(fc.tuple(lot, quantity), { minLength: 1, maxLength: 2 }), outputs: fc.array(fc.tuple(lot, quantity), { minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('reading' as const), lots: fc.array(fc.tuple(lot, quantity), { minLength: 1, maxLength: 2 }), value: number, fahrenheit: fc.boolean() }),
  someSubjects.chain((subjects) => fc.record({ kind: fc.constant('destroy' as const), lots: fc.constant(subjects.lots), items: fc.constant(subjects.items) })),
  fc.record({ kind: fc.constant('extended' as const), items: fc.uniqueArray(item, { minLength: 1, maxLength: 2 }), extension: extensionValue }),
);

function event(spec: EventSpec): Record<string, JsonValue> {
  const subjects = (specLots: Array<[string, number]>, specItems: string[]) => ({
    ...(specItems.length === 0 ? {} : { epcList: specItems }),
    ...(specLots.length === 0 ? {} : { quantityList: quantityList(specLots) }),
  });
  switch (spec.kind) {
    case 'commission-lot':
      return base('ObjectEvent', {
        action: 'ADD',
        bizStep: 'commissioning',
        quantityList: quantityList([[spec.lot, spec.quantity]]),
        ...(spec.range ? { ilmd: { 'custodia:temperatureRange': { minimum: 2, maximum: 8 } } } : {}),
      });
    case 'commission-items':
      return base('ObjectEvent', { action: 'ADD', bizStep: 'commissioning', epcList: spec.items });
    case 'ship':
      return base('ObjectEvent', { action: 'OBSERVE', bizStep: 'shipping', ...subjects(spec.lots, spec.items), destinationList: [{ type: 'owning_party', destination: spec.to }] });
    case 'receive':
      return base('ObjectEvent', { action: 'OBSERVE', bizStep: 'receiving', ...subjects(spec.lots, spec.items), sourceList: [{ type: 'owning_party', source: spec.from }] });
    case 'pack':
    case 'unpack':
      return base('AggregationEvent', { action: spec.kind === 'pack' ? 'ADD' : 'DELETE', parentID: spec.parent, childEPCs: spec.children });
    case 'transform':
      return base('TransformationEvent', { inputQuantityList: quantityList(spec.inputs), outputQuantityList: quantityList(spec.outputs) });
    case 'reading':
      return base('ObjectEvent', {
        action: 'OBSERVE',
        bizStep: 'sensor_reporting',
        quantityList: quantityList(spec.lots),
        sensorElementList: [{ sensorReport: [{ type: 'Temperature', value: spec.value, uom: spec.fahrenheit ? 'FAH' : 'CEL' }] }],
      });
    case 'destroy':
      return base('ObjectEvent', { action: 'DELETE', ...subjects(spec.lots, spec.items) });
    case 'extended':
      return base('ObjectEvent', { action: 'OBSERVE', epcList: spec.items, 'ex:extension': spec.extension });
  }
}

function documentOf(events: Array<Record<string, JsonValue>>): JsonValue {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { custodia: 'urn:custodia:epcis:', ex: 'https://example.com/ext/' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: eventTime(),
    epcisBody: { eventList: events },
  };
}

/** A transaction to be built: `earlier` picks the id of an earlier transaction of the run (for approvals). */
type TransactionSpec = { type: string; signers: Signer[]; payload: (earlier: (pick: number) => string) => JsonValue };

const approvalPolicy = fc.record({
  ordered: fc.boolean(),
  stages: fc.array(
    fc.record({
      required: fc.oneof(fc.integer({ min: 1, max: 3 }), number),
      approvers: fc.array(fc.oneof(party.map((id) => ({ party: id })), fc.constantFrom('laboratory', 'regulator', 'admin', 'carrier').map((role) => ({ role }))), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});
const captureSpec = fc.array(eventSpec, { minLength: 1, maxLength: 3 });
const garbage = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;

const transactionSpec: fc.Arbitrary<TransactionSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ signers: fc.array(signer, { minLength: 1, maxLength: 2 }), events: captureSpec }).map(({ signers, events }) => ({ type: 'epcis.capture', signers, payload: () => ({ document: documentOf(events.map(event)) }) })) },
  { weight: 1, arbitrary: fc.record({ signers: fc.array(signer, { minLength: 1, maxLength: 2 }), target, reason: fc.string({ minLength: 1, maxLength: 10 }) }).map(({ signers, target: subject, reason }) => ({ type: 'recall.issue', signers, payload: () => ({ target: subject, reason }) })) },
  { weight: 1, arbitrary: fc.record({ signers: fc.array(signer, { minLength: 1, maxLength: 1 }), target }).map(({ signers, target: subject }) => ({ type: 'quarantine.release', signers, payload: () => ({ target: subject, reason: 'within limits' }) })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ signers: fc.array(signer, { minLength: 1, maxLength: 1 }), validUntil: fc.option(number, { nil: undefined }), documentHash: fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'not hex') })
      .map(({ signers, validUntil, documentHash }) => ({ type: 'certificate.record', signers, payload: () => ({ documentHash, kind: 'lab-result', subject: 'lot', ...(validUntil === undefined ? {} : { validUntil }) }) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ signers: fc.array(signer, { minLength: 1, maxLength: 1 }), policy: approvalPolicy, deadline: fc.oneof(fc.constant(GENESIS_TIME + 86_400_000), number), action: fc.oneof(captureSpec.map((events) => ({ type: 'epcis.capture', payload: { document: documentOf(events.map(event)) } })), fc.record({ type: fc.constantFrom('recall.issue', 'governance.remove-participant', 'governance.set-validators', 'approval.approve', 'no.such-type'), payload: garbage })) })
      .map(({ signers, policy, deadline, action }) => ({ type: 'approval.request', signers, payload: () => ({ action, policy, deadline } as unknown as JsonValue) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ type: fc.constantFrom('approval.approve', 'approval.reject'), signers: fc.array(signer, { minLength: 1, maxLength: 2 }), pick: fc.nat() })
      .map(({ type, signers, pick }) => ({ type, signers, payload: (earlier: (index: number) => string) => ({ requestId: earlier(pick), ...(type === 'approval.reject' ? { reason: 'no' } : {}) }) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ type: fc.constantFrom('governance.add-participant', 'governance.rotate-key', 'governance.revoke-key', 'no.such-type', 'epcis.capture', 'recall.issue'), signers: fc.array(signer, { minLength: 1, maxLength: 2 }), payload: garbage })
      .map(({ type, signers, payload }) => ({ type, signers, payload: () => payload })),
  },
);

function signerEntry(name: Signer) {
  if (name === 'stranger') return { participant: STRANGER, ...keyFor(STRANGER) };
  if (name === 'impostor') return { participant: PARTIES.farm.id, ...keyFor('not the farm key') };
  return { participant: PARTIES[name].id, ...keyFor(PARTIES[name].id) };
}

/** The first block of every run: the farm commissions its lots (in random quantities), items and a container, so that later events have goods to act on. */
const setupBlock: fc.Arbitrary<TransactionSpec[]> = fc.array(quantity, { minLength: 3, maxLength: 3 }).map((amounts): TransactionSpec[] => {
  const commissioned = () => [
    ...amounts.map((amount, index) => event({ kind: 'commission-lot', lot: lotOf('farm', index + 1), quantity: amount, range: index === 0 })),
    event({ kind: 'commission-items', items: [1, 2, 3, 4].map((serial) => itemOf('farm', serial)) }),
  ];
  const packed = () => [event({ kind: 'pack', parent: containerOf('farm', 1), children: [itemOf('farm', 3), itemOf('farm', 4)] })];
  return [
    { type: 'epcis.capture', signers: ['farm'], payload: () => ({ document: documentOf(commissioned()) }) },
    { type: 'epcis.capture', signers: ['farm'], payload: () => ({ document: documentOf(packed()) }) },
  ];
});

function build(blocks: TransactionSpec[][]): Transaction[][] {
  const ids: string[] = [];
  let nonce = 0;
  return blocks.map((specs) =>
    specs.map((spec) => {
      const signers = [...new Map(spec.signers.map((name) => [signerEntry(name).participant, signerEntry(name)])).values()];
      const payload = spec.payload((pick) => ids[pick % Math.max(ids.length, 1)] ?? '0'.repeat(64));
      const transaction = signTransaction({ chainId: CHAIN_ID, type: spec.type, signers: signers.map((entry) => entry.participant), nonce: `fuzz-${nonce++}`, payload }, signers);
      ids.push(transactionId(transaction.body));
      return transaction;
    }),
  );
}

describe('the executor, fuzzed', () => {
  it(`never throws, never fails a contract, and gives two executors the same results and state roots (${RUNS} runs, seed ${SEED})`, async () => {
    const genesis = genesisWrites(testConsortium());
    const codes = new Set<string>(REASON_CODES);
    await fc.assert(
      fc.asyncProperty(setupBlock, fc.array(fc.array(transactionSpec, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), async (setup, specs) => {
        clock = 0;
        const blocks = build([setup, ...specs]);
        const inMemory = new MemoryState();
        const stored = new StoredState();
        inMemory.apply(genesis);
        stored.apply(genesis);
        const memoryTree = new MemoryStateTree();
        const storedTree = new MemoryStateTree();
        expect(storedTree.apply(genesis)).toBe(memoryTree.apply(genesis));
        for (const [index, transactions] of blocks.entries()) {
          const context = { chainId: CHAIN_ID, height: index + 1, timestamp: GENESIS_TIME + (index + 1) * 60_000 };
          const first = await executeBlock(inMemory, context, transactions);
          const second = await executeBlock(stored, context, transactions);
          expect(first.failures.map((failure) => String(failure.error))).toEqual([]);
          for (const result of first.results) if (result.status === 'rejected') expect(codes.has(result.code), result.code).toBe(true);
          expect(canonicalize(second.results)).toBe(canonicalize(first.results));
          expect(storedTree.apply(second.writes)).toBe(memoryTree.apply(first.writes));
          inMemory.apply(first.writes);
          stored.apply(second.writes);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 240_000);

  it('covers every transaction type the executor knows', () => {
    // The generator above names each type; a type added to the executor must be added here too.
    const fuzzed = ['epcis.capture', 'recall.issue', 'quarantine.release', 'certificate.record', 'approval.request', 'approval.approve', 'approval.reject', 'governance.add-participant', 'governance.rotate-key', 'governance.remove-participant', 'governance.set-validators', 'governance.revoke-key'];
    expect(TRANSACTION_TYPES.filter((type) => !fuzzed.includes(type))).toEqual([]);
  });
});
