import { describe, expect, it } from 'vitest';
import { toHex } from '../../ledger/encoding/hex.js';
import { approvalTrail, pendingApprovalsFor, type ApprovalRequest } from '../../contracts/approvals/approvals.js';
import { pendingValidatorSetChange } from '../../contracts/queries.js';
import { ContractHarness, id, prefixOf, type PartyName } from './support/harness.js';
import { capture, commissioning } from './support/epcis.js';
import { keyFor, testKey } from '../support/test-chain.js';

const certificate = (n: number) => ({ type: 'certificate.record', payload: { documentHash: n.toString(16).padStart(64, '0'), kind: 'organic', subject: 'urn:epc:class:lgtin:0614141.107346.L1' } });
const parallel = (required: number, parties: PartyName[]) => ({ ordered: false, stages: [{ required, approvers: parties.map((party) => ({ party: id(party) })) }] });

async function request(harness: ContractHarness, action: object, policy: object, requester: PartyName = 'farm', deadlineInMinutes = 60) {
  const run = await harness.run('approval.request', { action, policy, deadline: harness.timestamp + deadlineInMinutes * 60_000 } as never, [requester]);
  expect(run.result).toEqual({ status: 'accepted' });
  return run.txId;
}

async function trail(harness: ContractHarness, requestId: string): Promise<ApprovalRequest> {
  return (await approvalTrail(harness.state, requestId))!;
}

describe('approval requests', () => {
  it('execute the action exactly once, on the last required approval (k of n, in any order)', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, certificate(1), parallel(2, ['lab', 'regulator', 'distributor']));
    expect((await harness.run('approval.approve', { requestId }, ['regulator'])).result.status).toBe('accepted');
    expect(await harness.state.get(`certificate/${'1'.padStart(64, '0')}`)).toBeUndefined();
    expect((await harness.run('approval.approve', { requestId }, ['lab'])).result.status).toBe('accepted');
    expect(await harness.state.get(`certificate/${'1'.padStart(64, '0')}`)).toMatchObject({ kind: 'organic', recordedBy: [id('farm'), id('regulator'), id('lab')] });
    const closed = await trail(harness, requestId);
    expect(closed).toMatchObject({ status: 'executed', outcome: { status: 'accepted' }, approvals: [{ party: id('regulator') }, { party: id('lab') }] });
    expect((await harness.run('approval.approve', { requestId }, ['distributor'])).result).toMatchObject({ status: 'rejected', code: 'request-closed' });
  });

  it('refuse approvals from non-approvers and second approvals by the same party', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, certificate(2), parallel(2, ['lab', 'regulator']));
    expect((await harness.run('approval.approve', { requestId }, ['carrier'])).result).toMatchObject({ status: 'rejected', code: 'not-an-approver' });
    await harness.run('approval.approve', { requestId }, ['lab']);
    expect((await harness.run('approval.approve', { requestId }, ['lab'])).result).toMatchObject({ status: 'rejected', code: 'already-approved' });
    expect((await harness.run('approval.approve', { requestId: 'ab'.repeat(32) }, ['lab'])).result).toMatchObject({ status: 'rejected', code: 'unknown-request' });
    expect((await harness.run('approval.approve', { requestId }, ['lab', 'regulator'])).result).toMatchObject({ status: 'rejected', code: 'malformed-payload' });
  });

  it('open ordered stages one after another, like routing orders', async () => {
    const harness = new ContractHarness();
    const policy = { ordered: true, stages: [{ required: 1, approvers: [{ party: id('lab') }] }, { required: 1, approvers: [{ role: 'regulator' }] }] };
    const requestId = await request(harness, certificate(3), policy);
    expect((await harness.run('approval.approve', { requestId }, ['regulator'])).result).toMatchObject({ status: 'rejected', code: 'stage-not-open' });
    expect((await harness.run('approval.approve', { requestId }, ['lab'])).result.status).toBe('accepted');
    expect((await harness.run('approval.approve', { requestId }, ['regulator'])).result.status).toBe('accepted');
    expect((await trail(harness, requestId)).status).toBe('executed');
  });

  it('end on a rejection with its reason', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, certificate(4), parallel(1, ['lab']));
    expect((await harness.run('approval.reject', { requestId, reason: 'sample contaminated' }, ['regulator'])).result).toMatchObject({ code: 'not-an-approver' });
    expect((await harness.run('approval.reject', { requestId, reason: 'sample contaminated' }, ['lab'])).result.status).toBe('accepted');
    expect(await trail(harness, requestId)).toMatchObject({ status: 'rejected', rejection: { party: id('lab'), reason: 'sample contaminated' } });
    expect((await harness.run('approval.approve', { requestId }, ['lab'])).result).toMatchObject({ code: 'request-closed' });
  });

  it('expire past their deadline in block time', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, certificate(5), parallel(1, ['lab']), 'farm', 2);
    expect(await pendingApprovalsFor(harness.state, id('lab'), harness.timestamp)).toHaveLength(1);
    harness.timestamp += 10 * 60_000;
    expect((await harness.run('approval.approve', { requestId }, ['lab'])).result).toMatchObject({ status: 'rejected', code: 'request-expired' });
    expect(await pendingApprovalsFor(harness.state, id('lab'), harness.timestamp)).toHaveLength(0);
  });

  it('run the action under the rules as they stand at the last approval, recording a refusal', async () => {
    const harness = new ContractHarness();
    const epc = `urn:epc:id:sgtin:${prefixOf('farm')}.107346.1`;
    const requestId = await request(harness, { type: 'epcis.capture', payload: capture(commissioning([epc])) }, parallel(1, ['admin1']));
    // Meanwhile the EPC gets commissioned directly, so when the approval lands the rule refuses it.
    await harness.run('epcis.capture', capture(commissioning([epc])), ['farm']);
    expect((await harness.run('approval.approve', { requestId }, ['admin1'])).result.status).toBe('accepted');
    expect(await trail(harness, requestId)).toMatchObject({ status: 'failed', outcome: { status: 'rejected', code: 'already-commissioned' } });
  });

  it('list what is pending for a party, by name or by role, and drop it once it acted', async () => {
    const harness = new ContractHarness();
    const byRole = await request(harness, certificate(6), { ordered: false, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }] });
    const byName = await request(harness, certificate(7), parallel(1, ['lab', 'regulator']));
    const pending = await pendingApprovalsFor(harness.state, id('lab'), harness.timestamp);
    expect(pending.map((entry) => entry.requestId).sort()).toEqual([byRole, byName].sort());
    await harness.run('approval.approve', { requestId: byName }, ['lab']);
    expect((await pendingApprovalsFor(harness.state, id('lab'), harness.timestamp)).map((entry) => entry.requestId)).toEqual([byRole]);
    expect(await pendingApprovalsFor(harness.state, id('regulator'), harness.timestamp)).toEqual([]);
  });

  it('refuse policies that cannot be met, nested approvals and past deadlines', async () => {
    const harness = new ContractHarness();
    const deadline = harness.timestamp + 3_600_000;
    const refused = async (payload: object) => (await harness.run('approval.request', payload as never, ['farm'])).result;
    expect(await refused({ action: certificate(8), policy: parallel(3, ['lab', 'regulator']), deadline })).toMatchObject({ code: 'invalid-approval-policy' });
    expect(await refused({ action: { type: 'approval.approve', payload: {} }, policy: parallel(1, ['lab']), deadline })).toMatchObject({ code: 'invalid-approval-policy' });
    expect(await refused({ action: certificate(8), policy: parallel(1, ['lab']), deadline: 5 })).toMatchObject({ code: 'invalid-approval-policy' });
    expect(await refused({ action: certificate(8), policy: { ordered: false, stages: [{ required: 1, approvers: [{ party: 'urn:epc:id:pgln:0999999.00001' }] }] }, deadline })).toMatchObject({ code: 'unknown-participant' });
    expect(await refused({ action: certificate(8), policy: { ordered: false, stages: [] }, deadline })).toMatchObject({ code: 'malformed-payload' });
  });
});

describe('governance', () => {
  const newcomerId = 'urn:epc:id:pgln:0614151.00001';
  const newcomer = { id: newcomerId, name: 'Cold Store Ltd', roles: ['distributor'], keys: [{ publicKey: toHex(keyFor(newcomerId).publicKey), status: 'active' }], companyPrefixes: ['0614151'], status: 'active' };
  const admins = (required: number) => ({ ordered: false, stages: [{ required, approvers: [{ role: 'admin' }] }] });

  it('is refused when submitted directly', async () => {
    const harness = new ContractHarness();
    expect((await harness.run('governance.add-participant', { participant: newcomer }, ['admin1', 'admin2'])).result).toMatchObject({ code: 'approval-required' });
  });

  it('adds a participant after k of n admins approve, who can then sign', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, { type: 'governance.add-participant', payload: { participant: newcomer } }, admins(2), 'admin1');
    await harness.run('approval.approve', { requestId }, ['admin1']);
    await harness.run('approval.approve', { requestId }, ['admin3']);
    expect(await trail(harness, requestId)).toMatchObject({ status: 'executed' });
    const signedByNewcomer = await harness.run('epcis.capture', capture(commissioning(['urn:epc:id:sgtin:0614151.107346.1'])), [{ id: newcomerId, seedName: newcomerId }]);
    expect(signedByNewcomer.result.status).toBe('accepted');
  });

  it('fails the change when fewer admins than the threshold approved, even if the policy asked for fewer', async () => {
    const harness = new ContractHarness();
    const requestId = await request(harness, { type: 'governance.add-participant', payload: { participant: newcomer } }, admins(1), 'admin1');
    await harness.run('approval.approve', { requestId }, ['admin2']);
    expect(await trail(harness, requestId)).toMatchObject({ status: 'failed', outcome: { code: 'approval-required' } });
    expect(await harness.state.get(`participant/${newcomerId}`)).toBeUndefined();
  });

  async function governed(harness: ContractHarness, type: string, payload: object) {
    const requestId = await request(harness, { type, payload }, admins(2), 'admin1');
    await harness.run('approval.approve', { requestId }, ['admin1']);
    await harness.run('approval.approve', { requestId }, ['admin2']);
    return trail(harness, requestId);
  }

  it('rotates and revokes keys: a revoked key is refused, the new one works', async () => {
    const harness = new ContractHarness();
    const fresh = keyFor('farm rotated key');
    expect(await governed(harness, 'governance.rotate-key', { participant: id('farm'), add: toHex(fresh.publicKey), revoke: toHex(keyFor(id('farm')).publicKey) })).toMatchObject({ status: 'executed' });
    expect((await harness.run('epcis.capture', capture(commissioning([`urn:epc:id:sgtin:${prefixOf('farm')}.1.1`])), ['farm'])).result).toMatchObject({ code: 'revoked-key' });
    const withNewKey = await harness.run('epcis.capture', capture(commissioning([`urn:epc:id:sgtin:${prefixOf('farm')}.1.2`])), [{ id: id('farm'), seedName: 'farm rotated key' }]);
    expect(withNewKey.result.status).toBe('accepted');
    expect(await governed(harness, 'governance.revoke-key', { participant: id('farm'), publicKey: toHex(fresh.publicKey) })).toMatchObject({ status: 'failed', outcome: { code: 'invalid-governance-change' } });
  });

  it('refuses keys of small order and keys already registered', async () => {
    const harness = new ContractHarness();
    const identity = '01' + '00'.repeat(31);
    expect(await governed(harness, 'governance.rotate-key', { participant: id('farm'), add: identity })).toMatchObject({ outcome: { code: 'invalid-governance-change' } });
    expect(await governed(harness, 'governance.rotate-key', { participant: id('farm'), add: toHex(keyFor(id('lab')).publicKey) })).toMatchObject({ outcome: { code: 'invalid-governance-change' } });
  });

  it('removes a participant, whose signatures are then refused', async () => {
    const harness = new ContractHarness();
    expect(await governed(harness, 'governance.remove-participant', { participant: id('retailer') })).toMatchObject({ status: 'executed' });
    expect((await harness.run('epcis.capture', capture(commissioning([`urn:epc:id:sgtin:${prefixOf('retailer')}.1.1`])), ['retailer'])).result).toMatchObject({ code: 'participant-inactive' });
  });

  it('schedules a validator set change at a future height', async () => {
    const harness = new ContractHarness();
    const validators = [0, 1, 2, 3, 4].map((index) => ({ id: `validator-${index}`, publicKey: toHex(testKey(`next validator ${index}`).publicKey) }));
    expect(await governed(harness, 'governance.set-validators', { validators, effectiveHeight: harness.height + 2 })).toMatchObject({ outcome: { code: 'invalid-governance-change' } });
    expect(await governed(harness, 'governance.set-validators', { validators: validators.slice(0, 3), effectiveHeight: harness.height + 100 })).toMatchObject({ outcome: { code: 'invalid-governance-change' } });
    const effectiveHeight = harness.height + 100;
    expect(await governed(harness, 'governance.set-validators', { validators, effectiveHeight })).toMatchObject({ status: 'executed' });
    expect(await pendingValidatorSetChange(harness.state)).toMatchObject({ effectiveHeight, validators });
    const another = await governed(harness, 'governance.set-validators', { validators: validators.slice(1), effectiveHeight: effectiveHeight + 50 });
    expect(another).toMatchObject({ outcome: { code: 'invalid-governance-change' } });
    expect(JSON.stringify(another)).toContain(`already scheduled for height ${effectiveHeight}`);
  });
});
