/**
 * The benchmark's workload (issue 12): a pool of valid signed transactions made before the
 * measured window, so that signing costs the load generator nothing while it measures. Each is
 * one EPCIS 2.0 ObjectEvent of about 300 bytes commissioning a new lot under the signer's own
 * company prefix, from every participant the testnet has in turn: every one passes the contract
 * rules, so the network does real work on each (signature, schema, rules, indices).
 */
import { CustodiaClient } from '../../api/client.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import type { Transaction, TransactionSigner } from '../../ledger/model/transaction.js';
import { DEMO_PARTICIPANTS } from '../../node/testnet.js';

export interface Workload {
  /** The canonical JSON text of each transaction, ready to send. */
  bodies: string[];
  ids: string[];
}

const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** One commissioning event: a lot of 100 kilograms, at `eventTime` (about 300 bytes). */
export function commissioningDocument(lot: string, eventTime: string): unknown {
  return {
    '@context': CONTEXT,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: eventTime,
    epcisBody: {
      eventList: [
        {
          type: 'ObjectEvent',
          eventTime,
          eventTimeZoneOffset: '+00:00',
          action: 'ADD',
          bizStep: 'commissioning',
          disposition: 'active',
          quantityList: [{ epcClass: lot, quantity: 100, uom: 'KGM' }],
          readPoint: { id: 'urn:epc:id:sgln:0614141.00001.0' },
        },
      ],
    },
  };
}

export async function signers(participantKeyFiles: Record<string, string>): Promise<Array<{ signer: TransactionSigner; companyPrefix: string }>> {
  const found = [];
  for (const participant of DEMO_PARTICIPANTS) {
    const key = await loadKeyFile(participantKeyFiles[participant.name]!);
    if (!key.ok) throw new Error(key.message);
    found.push({ signer: { participant: participant.id, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed }, companyPrefix: participant.companyPrefix });
  }
  return found;
}

/** `count` transactions, lots numbered from `first` so that pools made for one chain never collide. */
export async function presign(chainId: string, participantKeyFiles: Record<string, string>, count: number, first = 0): Promise<Workload> {
  const client = new CustodiaClient('http://unused', chainId);
  const from = await signers(participantKeyFiles);
  const bodies: string[] = [];
  const ids: string[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let index = first; index < first + count; index++) {
    const { signer, companyPrefix } = from[index % from.length]!;
    // Company prefix and item reference make 13 digits, as GS1 keys do.
    const itemReference = String(index % 1_000_000).padStart(13 - companyPrefix.length, '0');
    const lot = `urn:epc:class:lgtin:${companyPrefix}.${itemReference}.B${index}`;
    const transaction: Transaction = client.transaction('epcis.capture', { document: commissioningDocument(lot, new Date(start + index).toISOString()) } as never, [signer]);
    bodies.push(JSON.stringify(transaction));
    ids.push(client.idOf(transaction));
  }
  return { bodies, ids };
}
