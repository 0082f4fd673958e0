/**
 * `custodia approval`: multi-party approvals from the command line (docs/contracts.md,
 * "Approvals"), governance changes included, such as adding a validator:
 *
 *   request ACTION.json --stage "2 of role:admin"   sign and submit an approval.request
 *   approve REQUEST-ID                               sign and submit one approval
 *   reject REQUEST-ID --reason TEXT                  sign and submit a rejection, which ends it
 *   show REQUEST-ID                                  its status and signature trail
 *   pending                                          the requests waiting on a party
 *
 * An action file is `{"type": ..., "payload": ...}`, any transaction the request should run once
 * approved. For `governance.set-validators`, `--effective-in N` fills in the payload's
 * effectiveHeight as the node's height plus N blocks. Reads use a read token or requests signed
 * with a participant key.
 */
import { Command } from 'commander';
import type { ApprovalStatus, CustodiaClient, ReadCredential } from '../../api/client.js';
import { ROLES, type Role } from '../../contracts/participants.js';
import type { Approver, ApprovalPolicy } from '../../contracts/approvals/approvals.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { VALIDATOR_SET_CHANGE_NOTICE_BLOCKS } from '../../ledger/model/validator-set.js';
import { EXIT_FAILED, EXIT_OK, fail } from '../exit-codes.js';
import { connect, describeStatus, readJsonFile, reportFailure, signerFromKeyFile, type NodeOptions, type SigningOptions } from './node-access.js';

const HOUR_MS = 3_600_000;
const DEFAULT_DEADLINE_HOURS = 72;

interface DecisionOptions extends SigningOptions {
  wait?: boolean;
}

interface RequestOptions extends DecisionOptions {
  stage: string[];
  ordered?: boolean;
  deadlineHours: string;
  effectiveIn?: string;
}

interface ReadOptions extends NodeOptions {
  token?: string;
  key?: string;
  as?: string;
  json?: boolean;
}

const nodeOption = ['--node <url>', "a validator's API address, such as http://127.0.0.1:26700"] as const;
const chainIdOption = ['--chain-id <id>', 'the chain id (default: read from the node)'] as const;
const asOption = ['--as <participant>', "the participant id (default: the key file's label)"] as const;

function signing(command: Command): Command {
  return command
    .requiredOption(...nodeOption)
    .requiredOption('--key <file>', 'the participant key file to sign with')
    .option(...asOption)
    .option(...chainIdOption)
    .option('--wait', 'wait until the transaction commits or is rejected');
}

function reading(command: Command): Command {
  return command
    .requiredOption(...nodeOption)
    .option('--token <token>', 'a read token')
    .option('--key <file>', 'a participant key file to sign read requests with (instead of a token)')
    .option(...asOption)
    .option(...chainIdOption)
    .option('--json', 'print the response as JSON');
}

export function approvalCommand(): Command {
  const command = new Command('approval').description('request, approve, reject and inspect multi-party approvals (governance changes included)');
  command.addCommand(
    signing(new Command('request'))
      .description('sign and submit an approval request for the action in a file ({"type": ..., "payload": ...})')
      .argument('<action>', 'a JSON file with the action to run once approved')
      .option('--stage <spec>', 'a stage of approvers, "K of APPROVER,...", each approver a participant id or role:NAME; repeat for more stages (at least one)', collect, [])
      .option('--ordered', 'the stages approve one after another, in the order given')
      .option('--deadline-hours <hours>', 'hours until the request expires, in block time', String(DEFAULT_DEADLINE_HOURS))
      .option('--effective-in <blocks>', "for governance.set-validators: the payload's effectiveHeight, as blocks after the node's current height")
      .action(async (action: string, options: RequestOptions) => {
        process.exitCode = await request(action, options);
      }),
  );
  command.addCommand(
    signing(new Command('approve'))
      .description('sign and submit an approval of a request')
      .argument('<request-id>', 'the request id (its approval.request transaction id)')
      .action(async (requestId: string, options: DecisionOptions) => {
        process.exitCode = await decide(requestId, options);
      }),
  );
  command.addCommand(
    signing(new Command('reject'))
      .description('sign and submit a rejection of a request, which ends it')
      .argument('<request-id>', 'the request id (its approval.request transaction id)')
      .requiredOption('--reason <text>', 'why, recorded with the rejection')
      .action(async (requestId: string, options: DecisionOptions & { reason: string }) => {
        process.exitCode = await decide(requestId, options, options.reason);
      }),
  );
  command.addCommand(
    reading(new Command('show'))
      .description("a request's status at the current block time and its signature trail")
      .argument('<request-id>', 'the request id (its approval.request transaction id)')
      .action(async (requestId: string, options: ReadOptions) => {
        process.exitCode = await show(requestId, options);
      }),
  );
  command.addCommand(
    reading(new Command('pending'))
      .description('the requests waiting on a party\'s signature, by name or through its roles')
      .option('--party <participant>', "the party (default: the key file's participant)")
      .action(async (options: ReadOptions & { party?: string }) => {
        process.exitCode = await pending(options);
      }),
  );
  return command;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** "2 of role:admin,urn:epc:id:pgln:0614148.00001" as a policy stage. */
export function parseStage(spec: string): Parsed<ApprovalPolicy['stages'][number]> {
  const match = /^\s*([0-9]+)\s+of\s+(.+)$/.exec(spec);
  if (match === null) return { ok: false, message: `--stage "${spec}": expected "K of APPROVER,...", such as "2 of role:admin"` };
  const approvers: Approver[] = [];
  for (const entry of match[2]!.split(',').map((part) => part.trim())) {
    if (entry === '') return { ok: false, message: `--stage "${spec}": an empty approver` };
    if (!entry.startsWith('role:')) {
      approvers.push({ party: entry });
      continue;
    }
    const role = entry.slice('role:'.length);
    if (!(ROLES as readonly string[]).includes(role)) return { ok: false, message: `--stage "${spec}": unknown role ${role} (roles: ${ROLES.join(', ')})` };
    approvers.push({ role: role as Role });
  }
  return { ok: true, value: { required: Number(match[1]), approvers } };
}

async function readAction(path: string): Promise<Parsed<{ type: string; payload: JsonValue }>> {
  const parsed = await readJsonFile(path);
  if (!parsed.ok) return parsed;
  const action = parsed.value;
  if (action === null || typeof action !== 'object' || Array.isArray(action) || typeof action['type'] !== 'string' || !('payload' in action)) {
    return { ok: false, message: `${path}: expected {"type": "...", "payload": ...}` };
  }
  const extra = Object.keys(action).filter((key) => key !== 'type' && key !== 'payload');
  if (extra.length > 0) return { ok: false, message: `${path}: unexpected field ${extra[0]}` };
  return { ok: true, value: { type: action['type'], payload: action['payload']! } };
}

async function request(path: string, options: RequestOptions): Promise<number> {
  const signer = await signerFromKeyFile(options.key, options.as);
  if (!signer.ok) return fail(signer.message);
  const action = await readAction(path);
  if (!action.ok) return fail(action.message);
  if (options.stage.length === 0) return fail('name the approvers with --stage "K of APPROVER,...", such as --stage "2 of role:admin"');
  const stages: ApprovalPolicy['stages'] = [];
  for (const spec of options.stage) {
    const stage = parseStage(spec);
    if (!stage.ok) return fail(stage.message);
    stages.push(stage.value);
  }
  const deadlineHours = Number(options.deadlineHours);
  if (!Number.isFinite(deadlineHours) || deadlineHours <= 0) return fail(`--deadline-hours ${options.deadlineHours}: expected a positive number`);
  const effectiveIn = options.effectiveIn === undefined ? undefined : Number(options.effectiveIn);
  if (effectiveIn !== undefined) {
    // The last approval must commit this many blocks before the change takes effect, or the rules refuse it.
    if (!Number.isInteger(effectiveIn) || effectiveIn <= VALIDATOR_SET_CHANGE_NOTICE_BLOCKS) {
      return fail(`--effective-in ${options.effectiveIn}: expected a whole number of blocks above ${VALIDATOR_SET_CHANGE_NOTICE_BLOCKS}, the notice a validator-set change needs, and enough to gather the approvals`);
    }
    if (action.value.type !== 'governance.set-validators') return fail(`--effective-in applies to governance.set-validators, not ${action.value.type}`);
    if (action.value.payload === null || typeof action.value.payload !== 'object' || Array.isArray(action.value.payload)) return fail(`${path}: payload must be an object`);
  }
  try {
    const client = await connect(options);
    let payload = action.value.payload;
    if (effectiveIn !== undefined) payload = { ...(payload as Record<string, JsonValue>), effectiveHeight: (await client.head()).height + effectiveIn };
    const policy: ApprovalPolicy = { ordered: options.ordered === true, stages };
    const body = { action: { type: action.value.type, payload }, policy, deadline: Date.now() + deadlineHours * HOUR_MS } as unknown as JsonValue;
    const transaction = client.transaction('approval.request', body, [signer.value]);
    const status = await client.submit(transaction, { wait: options.wait === true });
    process.stdout.write(`${describeStatus(status)}\n`);
    if (status.status === 'rejected') return EXIT_FAILED;
    process.stdout.write(`request ${status.id}: ${action.value.type}, ${describePolicy(policy)}\n`);
    if (effectiveIn !== undefined) process.stdout.write(`  effective at height ${(payload as Record<string, JsonValue>)['effectiveHeight']}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error, options.node);
  }
}

async function decide(requestId: string, options: DecisionOptions, reason?: string): Promise<number> {
  const signer = await signerFromKeyFile(options.key, options.as);
  if (!signer.ok) return fail(signer.message);
  try {
    const client = await connect(options);
    const transaction = reason === undefined ? client.transaction('approval.approve', { requestId }, [signer.value]) : client.transaction('approval.reject', { requestId, reason }, [signer.value]);
    const status = await client.submit(transaction, { wait: options.wait === true });
    process.stdout.write(`${describeStatus(status)}\n`);
    if (status.status === 'rejected') return EXIT_FAILED;
    if (status.status === 'committed') {
      // What the decision did to the request: still waiting, executed (with the action's outcome), or ended.
      const approval = await client.withCredential(signedReads(signer.value)).approval(requestId);
      process.stdout.write(`${describeRequestStatus(approval)}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error, options.node);
  }
}

async function readCredential(options: ReadOptions): Promise<Parsed<{ credential: ReadCredential; participant?: string }>> {
  if (options.token !== undefined && options.key !== undefined) return { ok: false, message: 'give either --token or --key, not both' };
  if (options.token !== undefined) return { ok: true, value: { credential: { token: options.token } } };
  if (options.key === undefined) return { ok: false, message: 'reading needs a credential: --token or --key' };
  const signer = await signerFromKeyFile(options.key, options.as);
  if (!signer.ok) return signer;
  return { ok: true, value: { credential: signedReads(signer.value), participant: signer.value.participant } };
}

function signedReads(signer: TransactionSigner): ReadCredential {
  return { participant: signer.participant, seed: signer.seed };
}

async function show(requestId: string, options: ReadOptions): Promise<number> {
  const credential = await readCredential(options);
  if (!credential.ok) return fail(credential.message);
  try {
    const client: CustodiaClient = await connect(options, credential.value.credential);
    const approval = await client.approval(requestId);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(approval, null, 2)}\n`);
      return EXIT_OK;
    }
    const lines = [
      describeRequestStatus(approval),
      `  action: ${approval.action.type}`,
      `  policy: ${describePolicy(approval.policy)}`,
      `  deadline: ${new Date(approval.deadline).toISOString()}`,
      ...approval.trail.map((entry) => {
        const what = entry.kind === 'request' ? 'requested' : entry.kind === 'approval' ? `approved (stage ${entry.stage! + 1})` : `rejected: ${entry.reason}`;
        return `  ${what} by ${entry.party} at height ${entry.height}, ${new Date(entry.timestamp).toISOString()}, transaction ${entry.txId} (${entry.signatures.length} signature${entry.signatures.length === 1 ? '' : 's'})`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error, options.node);
  }
}

async function pending(options: ReadOptions & { party?: string }): Promise<number> {
  const credential = await readCredential(options);
  if (!credential.ok) return fail(credential.message);
  const party = options.party ?? credential.value.participant;
  if (party === undefined) return fail('name the party with --party (or read with its --key)');
  try {
    const client = await connect(options, credential.value.credential);
    const list = await client.pendingApprovals(party);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return EXIT_OK;
    }
    if (list.approvals.length === 0) process.stdout.write(`nothing waits on ${party}\n`);
    for (const approval of list.approvals) {
      process.stdout.write(`${approval.requestId}  ${approval.action.type}  requested by ${approval.requester}, ${describePolicy(approval.policy)}, deadline ${new Date(approval.deadline).toISOString()}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error, options.node);
  }
}

function describePolicy(policy: ApprovalStatus['policy']): string {
  const stages = policy.stages.map((stage) => `${stage.required} of ${stage.approvers.map((approver) => ('role' in approver ? `role:${approver.role}` : approver.party)).join(',')}`);
  return `${policy.ordered ? 'in order: ' : ''}${stages.join(stages.length > 1 && policy.ordered ? ', then ' : '; ')}`;
}

function describeRequestStatus(approval: ApprovalStatus): string {
  const outcome = approval.outcome?.status === 'rejected' ? ` (the rules refused the action: ${approval.outcome.code}: ${approval.outcome.message})` : '';
  const approvals = approval.status === 'pending' ? ` (${approval.approvals.length} approval${approval.approvals.length === 1 ? '' : 's'} so far)` : '';
  return `request ${approval.requestId}: ${approval.status}${approvals}${outcome}`;
}
