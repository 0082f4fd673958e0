/**
 * The writes half of docs/security.md's authorisation matrix, cell by cell: each transaction of
 * the table, submitted by a participant holding one role (or by an outsider), is admitted or
 * refused at admission (contracts/admission.ts) and accepted or refused at execution exactly as
 * the table says. The table is read from the document, so the two cannot drift apart; every
 * transaction type the executor knows must have a row.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import type { Transaction } from '../../ledger/model/transaction.js';
import { admissionRefusal } from '../../contracts/admission.js';
import { TRANSACTION_TYPES } from '../../contracts/executor.js';
import { loadConsortium, ROLES, type Participant, type Role } from '../../contracts/participants.js';
import { markdownTable, plain } from '../support/markdown-table.js';
import { keyFor } from '../support/test-chain.js';
import { ContractHarness, GENESIS_TIME } from './support/harness.js';
import { capture, commissioning, commissionLot, shipping, temperatureReading } from './support/epcis.js';

const table = markdownTable('docs/security.md', 'Writes: transaction type by the signer\'s role');
const columns = table.header.slice(1);

/** One participant per role, plus those that set scenes: a grower holding goods and a second admin. */
const members: Array<{ name: string; roles: Role[] }> = [...ROLES.map((role) => ({ name: role, roles: [role] })), { name: 'grower', roles: ['producer'] }, { name: 'second-admin', roles: ['admin'] }];
const prefixOf = (name: string) => `0620${String(members.findIndex((member) => member.name === name)).padStart(3, '0')}`;
const idOf = (name: string) => (name === 'outsider' ? 'urn:epc:id:pgln:0999999.00001' : `urn:epc:id:pgln:${prefixOf(name)}.00001`);
const signer = (name: string) => ({ id: idOf(name), seedName: idOf(name) });

const consortium = (() => {
  const loaded = loadConsortium({
    participants: members.map(({ name, roles }): Participant => ({ id: idOf(name), name, roles, keys: [{ publicKey: toHex(keyFor(idOf(name)).publicKey), status: 'active' }], companyPrefixes: [prefixOf(name)], status: 'active' })),
    admins: [idOf('admin'), idOf('second-admin')],
    thresholds: { governance: 2 },
  });
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.consortium;
})();

const lotOf = (owner: string, name: string) => `urn:epc:class:lgtin:${prefixOf(owner)}.107346.${name}`;
const deadline = GENESIS_TIME + 30 * 86_400_000;

interface Scene {
  /** Transactions by others that set the scene; each must be accepted. */
  setup: Array<{ type: string; payload: JsonValue; by: string }>;
  /** The actor's transaction, given the ids of the setup's transactions. */
  act: (setupIds: string[]) => { type: string; payload: JsonValue };
}

const grownLot = lotOf('grower', 'L1');
const grownItem = `urn:epc:id:sgtin:${prefixOf('grower')}.107346.1`;
const growItem = { type: 'epcis.capture', payload: capture(commissioning([grownItem])), by: 'grower' };
const growLot = { type: 'epcis.capture', payload: capture(commissionLot(grownLot, 10, { minimum: 2, maximum: 8 })), by: 'grower' };
const laboratoryRequest = { type: 'approval.request', payload: { action: { type: 'certificate.record', payload: { documentHash: 'cd'.repeat(32), kind: 'organic', subject: grownLot } }, policy: { ordered: false, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }] }, deadline }, by: 'grower' };
const directly = (type: string, payload: JsonValue): Scene => ({ setup: [], act: () => ({ type, payload }) });

function sceneOf(row: string, actor: string): Scene {
  switch (row) {
    case 'epcis.capture: commission under its own company prefix':
      return directly('epcis.capture', capture(commissionLot(lotOf(actor === 'outsider' ? 'grower' : actor, 'OWN'), 5)));
    case "epcis.capture: commission under another's company prefix":
      return directly('epcis.capture', capture(commissionLot(lotOf('grower', 'NOT-YOURS'), 5)));
    case 'epcis.capture: ship goods another holds':
      return { setup: [growItem], act: () => ({ type: 'epcis.capture', payload: capture(shipping({ epcs: [grownItem] }, idOf('grower'))) }) };
    case 'epcis.capture: a sensor reading of goods another holds':
      return { setup: [growLot], act: () => ({ type: 'epcis.capture', payload: capture(temperatureReading({ lots: [[grownLot, 10]] }, 4)) }) };
    case 'quarantine.release':
      return {
        setup: [growLot, { type: 'epcis.capture', payload: capture(temperatureReading({ lots: [[grownLot, 10]] }, 20)), by: 'grower' }],
        act: () => ({ type: 'quarantine.release', payload: { target: grownLot, reason: 'retested within limits' } }),
      };
    case 'recall.issue, signed alone':
      return { setup: [growLot], act: () => ({ type: 'recall.issue', payload: { target: grownLot, reason: 'contaminated water' } }) };
    case 'certificate.record':
      return directly('certificate.record', { documentHash: 'ef'.repeat(32), kind: 'lab-result', subject: grownLot });
    case 'approval.request':
      return directly('approval.request', laboratoryRequest.payload);
    case 'approval.approve of a request for 1 of role:laboratory':
      return { setup: [growLot, laboratoryRequest], act: (ids) => ({ type: 'approval.approve', payload: { requestId: ids[1]! } }) };
    case 'approval.reject of a request for 1 of role:laboratory':
      return { setup: [growLot, laboratoryRequest], act: (ids) => ({ type: 'approval.reject', payload: { requestId: ids[1]!, reason: 'not tested' } }) };
    case 'approval.approve of a governance request for 2 of role:admin':
      return {
        setup: [{ type: 'approval.request', payload: { action: { type: 'governance.remove-participant', payload: { participant: idOf('grower') } }, policy: { ordered: false, stages: [{ required: 2, approvers: [{ role: 'admin' }] }] }, deadline }, by: 'second-admin' }],
        act: (ids) => ({ type: 'approval.approve', payload: { requestId: ids[0]! } }),
      };
    case 'governance.add-participant, submitted directly':
      return directly('governance.add-participant', { participant: { id: 'urn:epc:id:pgln:0777777.00001', name: 'new', roles: ['retailer'], keys: [{ publicKey: toHex(keyFor('new').publicKey) }] } });
    case 'governance.remove-participant, submitted directly':
      return directly('governance.remove-participant', { participant: idOf('grower') });
    case 'governance.rotate-key, submitted directly':
      return directly('governance.rotate-key', { participant: idOf('grower'), add: toHex(keyFor('rotated').publicKey) });
    case 'governance.revoke-key, submitted directly':
      return directly('governance.revoke-key', { participant: idOf('grower'), publicKey: toHex(keyFor(idOf('grower')).publicKey) });
    case 'governance.set-validators, submitted directly':
      return directly('governance.set-validators', { validators: [], effectiveHeight: 100 });
    case 'a type no contract has':
      return directly('lot.teleport', {});
    default:
      throw new Error(`docs/security.md has a row this test does not know: ${row}`);
  }
}

const participantOf = (id: string) => consortium.participants.find((participant) => participant.id === id);

async function outcome(row: string, actor: string): Promise<{ admission: string | undefined; execution: string }> {
  const harness = new ContractHarness(consortium);
  const scene = sceneOf(row, actor);
  const setupIds: string[] = [];
  for (const step of scene.setup) {
    const run = await harness.run(step.type, step.payload, [signer(step.by)]);
    expect(run.result, `${row}: setup ${step.type} by ${step.by}`).toEqual({ status: 'accepted' });
    setupIds.push(run.txId);
  }
  const { type, payload } = scene.act(setupIds);
  const transaction: Transaction = harness.transaction(type, payload, [signer(actor)]);
  const admission = admissionRefusal(transaction, participantOf)?.code;
  const result = (await harness.block([transaction])).results[0]!;
  return { admission, execution: result.status === 'accepted' ? '✓' : result.code };
}

describe("docs/security.md's authorisation matrix of writes", () => {
  it('has a column for every role and for outsiders, and a row naming every transaction type', () => {
    expect(columns).toEqual([...ROLES.map((role) => role as string), 'outsider']);
    const rows = table.rows.map((row) => plain(row[0]!));
    for (const type of TRANSACTION_TYPES) expect(rows.some((row) => row.startsWith(type)), type).toBe(true);
  });

  for (const row of table.rows) {
    const label = plain(row[0]!);
    it(`holds for ${label}`, async () => {
      for (const [index, column] of columns.entries()) {
        const expected = plain(row[index + 1]!);
        const actual = await outcome(label, column);
        expect(actual.execution, `${label} by ${column}`).toBe(expected);
        // Outsiders and types no one may submit are refused before ordering, with the same code; the rest are admitted.
        const refusedAtAdmission = column === 'outsider' || ['approval-required', 'unknown-transaction-type'].includes(expected);
        expect(actual.admission, `${label} by ${column}, at admission`).toBe(refusedAtAdmission ? expected : undefined);
      }
    });
  }
});
