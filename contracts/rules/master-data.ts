/**
 * Product master data from EPCIS 2.0 documents (EPCIS 2.0 section 7.2, master data; CBV 2.0
 * section 10, master data attributes): a capture whose header carries EPCClass vocabulary
 * elements (a lot `urn:epc:class:lgtin:...`, or a product `urn:epc:idpat:sgtin:CP.IR.*`) records
 * their description under `product/<id>`, so that exports and the auditor UI name a product
 * as its maker does (FSMA 204's product description) rather than by its URN. Only the owner of
 * the company prefix describes its products: master data about others' identifiers is not
 * recorded (the events of the document are, as usual).
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { AnyEpcisDocument } from '../epcis/index.js';
import { companyPrefixOf, type Participant } from '../participants.js';
import { stateKeys, type StateOverlay, type StateReader } from '../state.js';
import { INVENTORY_LIMITS } from './inventory.js';

export const EPC_CLASS_VOCABULARY = 'urn:epcglobal:epcis:vtype:EPCClass';

/** CBV 2.0 master data attributes that describe a product, best first. */
export const DESCRIPTION_ATTRIBUTES = ['descriptionShort', 'tradeItemDescription', 'regulatedProductName', 'functionalName'];
const CBV_MDA_PREFIXES = ['urn:epcglobal:cbv:mda#', 'urn:epcglobal:cbv:mda:', 'cbvmda:', 'https://ref.gs1.org/cbv/mda#', 'https://gs1.org/voc/'];

export interface ProductRecord {
  id: string;
  description: string;
  recordedBy: string;
  txId: string;
  height: number;
}

function attributeName(id: string): string | undefined {
  const prefix = CBV_MDA_PREFIXES.find((candidate) => id.startsWith(candidate));
  return prefix === undefined ? undefined : id.slice(prefix.length);
}

/** The description among a vocabulary element's attributes, by the order of DESCRIPTION_ATTRIBUTES. */
function descriptionOf(attributes: ReadonlyArray<{ id: string; attribute?: unknown }>): string | undefined {
  for (const wanted of DESCRIPTION_ATTRIBUTES) {
    const found = attributes.find((entry) => attributeName(entry.id) === wanted && typeof entry.attribute === 'string' && entry.attribute.trim() !== '');
    if (found !== undefined) return (found.attribute as string).trim();
  }
  return undefined;
}

/** Records the submitter's product descriptions from an EPCISDocument's header. */
export function recordMasterData(state: StateOverlay, document: AnyEpcisDocument, submitter: Participant, context: { txId: string; height: number }): void {
  if (document.type !== 'EPCISDocument') return;
  for (const vocabulary of document.epcisHeader?.epcisMasterData?.vocabularyList ?? []) {
    if (vocabulary.type !== EPC_CLASS_VOCABULARY) continue;
    for (const element of vocabulary.vocabularyElementList ?? []) {
      const prefix = companyPrefixOf(element.id);
      if (prefix === undefined || !submitter.companyPrefixes.includes(prefix) || element.id.length > INVENTORY_LIMITS.identifierLengthMax) continue;
      const description = descriptionOf((element.attributes ?? []) as Array<{ id: string; attribute?: unknown }>);
      if (description === undefined) continue;
      const record: ProductRecord = { id: element.id, description, recordedBy: submitter.id, txId: context.txId, height: context.height };
      state.set(stateKeys.product(element.id), record as unknown as JsonValue);
    }
  }
}

/** The product of a lot or item: its own master data, else its product's (`urn:epc:idpat:sgtin:CP.IR.*`). */
export async function productOf(state: StateReader, identifier: string): Promise<ProductRecord | undefined> {
  const own = (await state.get(stateKeys.product(identifier))) as ProductRecord | undefined;
  if (own !== undefined) return own;
  const gtin = /^urn:epc:(?:id:sgtin|class:lgtin):([0-9]+\.[0-9]+)\./.exec(identifier);
  return gtin === null ? undefined : ((await state.get(stateKeys.product(`urn:epc:idpat:sgtin:${gtin[1]}.*`))) as ProductRecord | undefined);
}
