/**
 * The storage benchmark's workload (issue 12, "A storage benchmark"): supply-chain stories of
 * valid EPCIS 2.0 captures, each signed by the testnet participant who would record it, so that
 * lot histories and traces have something to walk. One story is six events about one lot:
 *
 *   0. the farm commissions lot L (ObjectEvent ADD, 100 kg)
 *   1. the farm ships L to the processor                  (ObjectEvent, bizStep shipping)
 *   2. the processor receives it                           (ObjectEvent, bizStep receiving)
 *   3. the processor makes product lot P from it           (TransformationEvent: P derived from L)
 *   4. the processor ships P to the distributor, or to the retailer for odd stories
 *   5. the distributor (or retailer) receives it
 *
 * Step k of a story needs step k - 1 committed, so the loader puts step k of story group g in the
 * block of group g + k (storyBlock): every block holds every step, for six different groups.
 * Everything is derived from the story number, so nothing about a million events is kept in memory.
 */
import { createEventBuilders } from '../../api/epcis-builders.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signFor } from '../../ledger/crypto/signatures.js';
import { transactionIdBytes, type Transaction, type TransactionBody, type TransactionSigner } from '../../ledger/model/transaction.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';

export const STORY_STEPS = 6;
/** Kilograms commissioned per raw lot, and made of it. */
const RAW_KG = 100;
const PRODUCT_KG = 90;
/** Event times: one story every 6 s of simulated time from here, a second between its steps. */
const STORY_EPOCH_MS = Date.UTC(2026, 0, 1);

type Name = 'farm' | 'processor' | 'distributor' | 'retailer';
export type StorySigners = Record<Name, TransactionSigner>;

/** The participants a story needs, from the demo consortium's key pairs (by demo name). */
export function storySigners(keys: Record<string, { publicKey: Uint8Array; seed: Uint8Array }>): StorySigners {
  const signer = (name: Name): TransactionSigner => {
    const participant = DEMO_PARTICIPANTS.find((candidate) => candidate.name === name);
    const key = keys[name];
    if (participant === undefined || key === undefined) throw new Error(`the testnet has no ${name} participant`);
    return { participant: participant.id, publicKey: key.publicKey, seed: key.seed };
  };
  return { farm: signer('farm'), processor: signer('processor'), distributor: signer('distributor'), retailer: signer('retailer') };
}

const prefixOf = (name: Name) => DEMO_PARTICIPANTS.find((participant) => participant.name === name)!.companyPrefix;

/** Company prefix and item reference make 13 digits, as GS1 keys do, so each lot has a GTIN. */
function lgtin(owner: Name, itemReference: number, lot: string): string {
  const prefix = prefixOf(owner);
  return `urn:epc:class:lgtin:${prefix}.${String(itemReference).padStart(13 - prefix.length, '0')}.${lot}`;
}

/** The raw lot story `story` commissions. */
export function rawLot(story: number): string {
  return lgtin('farm', 12_345 + (story % 10), `L${story.toString(36).toUpperCase()}`);
}

/** The product lot the processor makes from it. */
export function productLot(story: number): string {
  return lgtin('processor', 77_777, `P${story.toString(36).toUpperCase()}`);
}

function destinationOf(story: number): Name {
  return story % 2 === 0 ? 'distributor' : 'retailer';
}

/** The signed capture of one step of one story, with its id. */
export function storyTransaction(chainId: string, signers: StorySigners, story: number, step: number): { transaction: Transaction; id: string } {
  const time = STORY_EPOCH_MS + (story * STORY_STEPS + step) * 1000;
  const events = createEventBuilders(() => new Date(time).toISOString());
  const raw = rawLot(story);
  const product = productLot(story);
  const to = destinationOf(story);
  const id = (name: Name) => signers[name].participant;
  let by: Name;
  let event: Record<string, JsonValue>;
  switch (step) {
    case 0:
      [by, event] = ['farm', events.commissionLot(raw, RAW_KG, { minimum: 1, maximum: 5 })];
      break;
    case 1:
      [by, event] = ['farm', events.shipping({ lots: [[raw, RAW_KG]] }, id('processor'))];
      break;
    case 2:
      [by, event] = ['processor', events.receiving({ lots: [[raw, RAW_KG]] }, id('farm'))];
      break;
    case 3:
      [by, event] = ['processor', events.transformation([[raw, RAW_KG]], [[product, PRODUCT_KG]], { minimum: 2, maximum: 8 })];
      break;
    case 4:
      [by, event] = ['processor', events.shipping({ lots: [[product, PRODUCT_KG]] }, id(to))];
      break;
    case 5:
      [by, event] = [to, events.receiving({ lots: [[product, PRODUCT_KG]] }, id('processor'))];
      break;
    default:
      throw new Error(`a story has steps 0 to ${STORY_STEPS - 1}, not ${step}`);
  }
  const signer = signers[by];
  const body: TransactionBody = { chainId, type: 'epcis.capture', signers: [signer.participant], nonce: `story-${story}-${step}`, createdAt: time, payload: events.capture(event) };
  // signTransaction's steps, keeping the id it computes: the loader hands ids to execution as a node does.
  const idBytes = transactionIdBytes(body);
  const transaction: Transaction = { body, signatures: [{ signer: signer.participant, publicKey: toHex(signer.publicKey), signature: toHex(signFor('transaction', chainId, signer.seed, idBytes)) }] };
  return { transaction, id: toHex(idBytes) };
}

/**
 * Which (story, step) pairs go in block `block` (0-based) when stories come in groups of
 * `groupSize` and there are `stories` in all: step k of group block - k, for every k whose group
 * exists. The blocks from 0 to groups + STORY_STEPS - 2 hold every step of every story once.
 */
export function storyBlock(block: number, groupSize: number, stories: number): Array<{ story: number; step: number }> {
  const groups = Math.ceil(stories / groupSize);
  const steps: Array<{ story: number; step: number }> = [];
  for (let step = 0; step < STORY_STEPS; step++) {
    const group = block - step;
    if (group < 0 || group >= groups) continue;
    for (let story = group * groupSize; story < Math.min(stories, (group + 1) * groupSize); story++) steps.push({ story, step });
  }
  return steps;
}

/** Blocks needed for `stories` stories in groups of `groupSize`. */
export function storyBlockCount(groupSize: number, stories: number): number {
  return stories === 0 ? 0 : Math.ceil(stories / groupSize) + STORY_STEPS - 1;
}
