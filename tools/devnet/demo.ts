/**
 * The devnet's demo supply chain, submitted through the public API as real participants would:
 * a farm harvests a lettuce lot, a processor turns it into salad under a certificate that a
 * laboratory and the regulator approve (a multi-party approval), a carrier's logger records a
 * temperature excursion, the laboratory releases the lot, a distributor and a retailer receive
 * it, and the regulator recalls the original lettuce lot.
 */
import { CustodiaClient } from '../../api/client.js';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';

export interface DemoResult {
  lettuceLot: string;
  saladLot: string;
  recallId: string;
  approvalId: string;
  transactions: number;
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
  const events = liveEventBuilders();
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

  const stamp = Date.now().toString(36).toUpperCase();
  const lettuce = `urn:epc:class:lgtin:0614141.0012345.LETTUCE-${stamp}`;
  const salad = `urn:epc:class:lgtin:0614142.0077777.SALAD-${stamp}`;
  const crates = [1, 2, 3].map((serial) => `urn:epc:id:sgtin:0614141.0012345.${stamp}${serial}`);
  const pallet = `urn:epc:id:sscc:0614141.${Date.now() % 1_000_000_000}`;

  log('demo supply chain:');
  await submit('farm harvests 600 kg of lettuce (kept between 1 and 5 °C) in three crates', 'epcis.capture', events.capture(events.commissionLot(lettuce, 600, { minimum: 1, maximum: 5 }), events.commissioning(crates)), ['farm']);
  await submit('farm packs the crates on a pallet', 'epcis.capture', events.capture(events.aggregation('ADD', pallet, crates)), ['farm']);
  await submit('farm hands the lettuce to the processor (both sign)', 'epcis.capture', events.capture(events.shipping({ lots: [[lettuce, 600]], epcs: [pallet] }, id('processor'))), ['farm', 'processor']);
  await submit('processor makes 480 kg of salad (2 to 8 °C)', 'epcis.capture', events.capture(events.transformation([[lettuce, 600]], [[salad, 480]], { minimum: 2, maximum: 8 })), ['processor']);

  const certificate = { documentHash: toHex(sha256(new TextEncoder().encode(`salad certificate ${stamp}`))), kind: 'microbiology-clearance', subject: salad, metadata: { laboratory: 'Certified Food Lab' } };
  const approvalId = await submit(
    'processor asks the laboratory, then the regulator, to sign off the salad certificate',
    'approval.request',
    { action: { type: 'certificate.record', payload: certificate }, policy: { ordered: true, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }, { required: 1, approvers: [{ role: 'regulator' }] }] }, deadline: Date.now() + 86_400_000 },
    ['processor'],
  );
  await submit('laboratory approves', 'approval.approve', { requestId: approvalId }, ['lab']);
  await submit('regulator approves: the certificate is recorded', 'approval.approve', { requestId: approvalId }, ['regulator']);

  await submit('processor ships the salad to the carrier', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 480]] }, id('carrier'))), ['processor']);
  await submit('carrier receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 480]] }, id('processor'))), ['carrier']);
  await submit("carrier's logger reads 11.5 °C: excursion, the lot is quarantined", 'epcis.capture', events.capture(events.temperatureReading({ lots: [[salad, 480]] }, 11.5)), ['carrier']);
  await submit('laboratory tests it and releases the lot', 'quarantine.release', { target: salad, reason: 'core temperature and microbiology within limits' }, ['lab']);
  await submit('carrier delivers to the distributor', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 480]] }, id('distributor'))), ['carrier']);
  await submit('distributor receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 480]] }, id('carrier'))), ['distributor']);
  await submit('distributor ships 120 kg to the retailer', 'epcis.capture', events.capture(events.shipping({ lots: [[salad, 120]] }, id('retailer'))), ['distributor']);
  await submit('retailer receives it', 'epcis.capture', events.capture(events.receiving({ lots: [[salad, 120]] }, id('distributor'))), ['retailer']);
  const recallId = await submit('regulator recalls the lettuce lot: the salad made from it is recalled too', 'recall.issue', { target: lettuce, reason: 'E. coli O157:H7 found in irrigation water' }, ['regulator']);
  return { lettuceLot: lettuce, saladLot: salad, recallId, approvalId, transactions };
}
