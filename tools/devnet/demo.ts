/**
 * The devnet's demo supply chain, submitted through the public API as real participants would:
 * a farm harvests a lettuce lot and packs it into crates on a pallet, a processor turns it into
 * salad under a certificate that a laboratory and the regulator approve (a multi-party approval),
 * a carrier's logger records the temperature until an excursion, the laboratory releases the lot,
 * a distributor and a retailer receive it, and the regulator recalls the original lettuce lot,
 * which reaches the crates, the pallet and the salad. The events are spread over the days before
 * today, hours apart, as a real chain's are; product descriptions come as EPCIS master data.
 */
import { CustodiaClient } from '../../api/client.js';
import { createEventBuilders } from '../../api/epcis-builders.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';

export interface DemoResult {
  lettuceLot: string;
  saladLot: string;
  /** The three crates the lettuce was packed in, and the pallet that carried them. */
  crates: string[];
  pallet: string;
  recallId: string;
  approvalId: string;
  transactions: number;
}

/** Days before today that the demo's story begins: its events are hours and days apart, as a real supply chain's are. */
const STORY_DAYS = 6;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * The story's clock: each step happens at `day` days after the story's first day, at `hh:mm` UTC;
 * the builders' successive calls within a step are a second apart, so every event is distinct.
 */
function storyClock(now: number) {
  const firstDay = Math.floor(now / DAY_MS) * DAY_MS - STORY_DAYS * DAY_MS;
  let current = firstDay;
  return {
    at(day: number, hours: number, minutes = 0): void {
      current = firstDay + day * DAY_MS + hours * HOUR_MS + minutes * MINUTE_MS;
    },
    next(): string {
      const time = new Date(current).toISOString();
      current += 1000;
      return time;
    },
  };
}

/** EPCIS master data (CBV 2.0 section 10) naming a maker's products, for the document header. */
function masterData(products: Array<{ id: string; description: string }>): JsonValue {
  return {
    epcisMasterData: {
      vocabularyList: [
        {
          type: 'urn:epcglobal:epcis:vtype:EPCClass',
          vocabularyElementList: products.map((product) => ({ id: product.id, attributes: [{ id: 'urn:epcglobal:cbv:mda#descriptionShort', attribute: product.description }] })),
        },
      ],
    },
  };
}

export async function runDemo(apiUrl: string, chainId: string, participantKeyFiles: Record<string, string>, log: (line: string) => void): Promise<DemoResult> {
  const signers: Record<string, TransactionSigner> = {};
  for (const participant of DEMO_PARTICIPANTS) {
    const key = await loadKeyFile(participantKeyFiles[participant.name]!);
    if (!key.ok) throw new Error(key.message);
    signers[participant.name] = { participant: participant.id, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
  }
  const id = (name: string) => signers[name]!.participant;
  const client = new CustodiaClient(apiUrl, chainId);
  const clock = storyClock(Date.now());
  const events = createEventBuilders(() => clock.next());
  let transactions = 0;
  const submit = async (step: string, type: string, payload: JsonValue, by: string[]) => {
    const transaction = client.transaction(type, payload, by.map((name) => signers[name]!));
    const status = await client.submit(transaction, { wait: true, timeoutMs: 30_000 });
    transactions++;
    const outcome = status.status === 'rejected' && status.result.status === 'rejected' ? `rejected (${status.result.code}: ${status.result.message})` : status.status;
    log(`  ${step}: ${outcome}`);
    if (status.status !== 'committed') throw new Error(`demo step "${step}" did not commit: ${outcome}`);
    return client.idOf(transaction);
  };
  const withHeader = (document: JsonValue, header: JsonValue): JsonValue => ({ ...(document as Record<string, JsonValue>), epcisHeader: header });

  const stamp = Date.now().toString(36).toUpperCase();
  // GS1 keys of the proper lengths (company prefix and item reference make 13 digits; an SSCC's 17), so each has its GTIN.
  const lettuce = `urn:epc:class:lgtin:0614141.012345.LETTUCE-${stamp}`;
  const salad = `urn:epc:class:lgtin:0614142.077777.SALAD-${stamp}`;
  const crates = [1, 2, 3].map((serial) => `urn:epc:id:sgtin:0614141.012345.${stamp}${serial}`);
  const pallet = `urn:epc:id:sscc:0614141.${String(Date.now() % 10_000_000_000).padStart(10, '0')}`;
  const packLettuce = (crate: string) => ({ ...events.aggregation('ADD', crate, []), childEPCs: undefined, childQuantityList: [{ epcClass: lettuce, quantity: 200, uom: 'KGM' }] }) as unknown as Record<string, JsonValue>;
  const reading = (celsius: number) => events.temperatureReading({ lots: [[salad, 480]] }, celsius);

  log('demo supply chain:');
  clock.at(0, 5, 40);
  await submit(
    'farm harvests 600 kg of lettuce (kept between 1 and 5 °C) in three crates',
    'epcis.capture',
    { document: withHeader(events.document(events.commissionLot(lettuce, 600, { minimum: 1, maximum: 5 }), events.commissioning(crates)), masterData([{ id: lettuce, description: 'Romaine lettuce, whole heads' }])) },
    ['farm'],
  );
  clock.at(0, 6, 15);
  await submit('farm packs 200 kg of lettuce into each crate', 'epcis.capture', { document: events.document(...crates.map(packLettuce)) }, ['farm']);
  clock.at(0, 6, 30);
  await submit('farm loads the crates on a pallet', 'epcis.capture', events.capture(events.aggregation('ADD', pallet, crates)), ['farm']);
  clock.at(0, 9, 0);
  await submit('farm hands the lettuce and the pallet to the processor (both sign)', 'epcis.capture', events.capture(events.shipping({ lots: [[lettuce, 600]], epcs: [pallet] }, id('processor'))), ['farm', 'processor']);
  clock.at(1, 4, 30);
  await submit(
    'processor makes 480 kg of salad (2 to 8 °C) from it',
    'epcis.capture',
    { document: withHeader(events.document(events.transformation([[lettuce, 600]], [[salad, 480]], { minimum: 2, maximum: 8 })), masterData([{ id: salad, description: 'Chopped salad mix, 1 kg bags' }])) },
    ['processor'],
  );

  const certificate = { documentHash: toHex(sha256(new TextEncoder().encode(`salad certificate ${stamp}`))), kind: 'microbiology-clearance', subject: salad, metadata: { laboratory: 'Certified Food Lab' } };
  const approvalId = await submit(
    'processor asks the laboratory, then the regulator, to sign off the salad certificate',
    'approval.request',
    { action: { type: 'certificate.record', payload: certificate }, policy: { ordered: true, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }, { required: 1, approvers: [{ role: 'regulator' }] }] }, deadline: Date.now() + 7 * DAY_MS },
    ['processor'],
  );
  await submit('laboratory approves', 'approval.approve', { requestId: approvalId }, ['lab']);
  await submit('regulator approves: the certificate is recorded', 'approval.approve', { requestId: approvalId }, ['regulator']);

  clock.at(1, 14, 0);
  await submit('processor ships the salad to the carrier', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 480]] }, id('carrier'))), ['processor']);
  clock.at(1, 14, 45);
  await submit('carrier receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 480]] }, id('processor'))), ['carrier']);
  clock.at(1, 16, 0);
  await submit("carrier's logger reads 3.8 °C", 'epcis.capture', events.capture(reading(3.8)), ['carrier']);
  clock.at(1, 19, 0);
  await submit("carrier's logger reads 4.6 °C", 'epcis.capture', events.capture(reading(4.6)), ['carrier']);
  clock.at(1, 22, 0);
  await submit("carrier's logger reads 6.9 °C", 'epcis.capture', events.capture(reading(6.9)), ['carrier']);
  clock.at(2, 1, 0);
  await submit("carrier's logger reads 11.5 °C: excursion, the lot is quarantined", 'epcis.capture', events.capture(reading(11.5)), ['carrier']);
  clock.at(2, 10, 30);
  await submit('laboratory tests it and releases the lot', 'quarantine.release', { target: salad, reason: 'core temperature and microbiology within limits' }, ['lab']);
  clock.at(2, 13, 0);
  await submit('carrier delivers to the distributor', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 480]] }, id('distributor'))), ['carrier']);
  clock.at(2, 14, 10);
  await submit('distributor receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 480]] }, id('carrier'))), ['distributor']);
  clock.at(2, 18, 0);
  await submit("distributor's cold room reads 3.1 °C", 'epcis.capture', events.capture(events.temperatureReading({ lots: [[salad, 480]] }, 3.1)), ['distributor']);
  clock.at(3, 6, 0);
  await submit('distributor ships 120 kg to the retailer', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 120]] }, id('retailer'))), ['distributor']);
  clock.at(3, 8, 20);
  await submit('retailer receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 120]] }, id('distributor'))), ['retailer']);
  const recallId = await submit('regulator recalls the lettuce lot: its crates, the pallet and the salad made from it are recalled too', 'recall.issue', { target: lettuce, reason: 'E. coli O157:H7 found in irrigation water' }, ['regulator']);
  return { lettuceLot: lettuce, saladLot: salad, crates, pallet, recallId, approvalId, transactions };
}
