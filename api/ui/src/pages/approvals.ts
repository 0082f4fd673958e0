/// <reference lib="dom" />
/**
 * Multi-party approvals: what waits on a party's signature, each request's policy and status,
 * and its signature trail (the request, every approval or rejection, each its own signed
 * transaction that the auditor can open and verify). The API lists requests by the party they
 * wait on or by id; requests that concern one item are found among the latest blocks' approval
 * requests.
 */
import { ApiFailure, getJson, pathComponent, query } from '../api.js';
import { badge, blockLink, card, cell, empty, facts, failureView, loading, notice, pageHeader, table, transactionLink, type Tone } from '../components.js';
import { element, routeLink, type Child } from '../dom.js';
import { formatTime, partyName, plural, shortHash, shortUrn, type Directory } from '../format.js';
import { fill, show, type Page } from '../page.js';
import type { Approval, BlockList, PendingApprovals } from '../types.js';
import { genesisDirectory } from '../verification.js';

/**
 * How far back the UI looks for approval requests. The API lists requests only by the party
 * they wait on or by id, so the UI reads block summaries (public, no payloads) and picks the
 * approval.request transactions; the bound keeps that to a few requests on a long chain.
 */
const BLOCKS_SEARCHED_MAX = 2000;
const BLOCKS_PER_REQUEST = 100;
const REQUESTS_IN_FLIGHT = 4;

const STATUS_TONES: Record<Approval['status'], Tone> = { pending: 'info', executed: 'good', failed: 'bad', rejected: 'bad', expired: 'warn' };

export async function recentApprovalRequestIds(): Promise<{ ids: string[]; blocksSearched: number }> {
  const newest = await getJson<BlockList>(`/v1/blocks${query({ limit: BLOCKS_PER_REQUEST })}`);
  const ranges: Array<{ from: number; limit: number }> = [];
  for (let end = newest.from - 1; end >= 1 && newest.blocks.length + ranges.length * BLOCKS_PER_REQUEST < BLOCKS_SEARCHED_MAX; end -= BLOCKS_PER_REQUEST) {
    const from = Math.max(1, end - BLOCKS_PER_REQUEST + 1);
    ranges.push({ from, limit: end - from + 1 });
  }
  const lists: BlockList[] = [newest];
  for (let start = 0; start < ranges.length; start += REQUESTS_IN_FLIGHT) {
    const batch = ranges.slice(start, start + REQUESTS_IN_FLIGHT);
    lists.push(...(await Promise.all(batch.map((range) => getJson<BlockList>(`/v1/blocks${query(range)}`)))));
  }
  const found: Array<{ height: number; id: string }> = [];
  for (const list of lists) {
    for (const block of list.blocks) {
      for (const transaction of block.transactions) if (transaction.type === 'approval.request' && transaction.result.status === 'accepted') found.push({ height: block.height, id: transaction.id });
    }
  }
  const blocksSearched = lists.reduce((sum, list) => sum + list.blocks.length, 0);
  return { ids: found.sort((left, right) => right.height - left.height).map((entry) => entry.id), blocksSearched };
}

function mentions(value: unknown, identifier: string): boolean {
  if (value === identifier) return true;
  if (Array.isArray(value)) return value.some((entry) => mentions(entry, identifier));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((entry) => mentions(entry, identifier));
  return false;
}

/** Approvals readable by this reader whose action names the identifier. */
export async function approvalsConcerning(identifier: string): Promise<{ approvals: Approval[]; blocksSearched: number }> {
  const { ids, blocksSearched } = await recentApprovalRequestIds();
  const approvals: Approval[] = [];
  for (const id of ids) {
    try {
      const approval = await getJson<Approval>(`/v1/approvals/${id}`);
      if (mentions(approval.action.payload, identifier)) approvals.push(approval);
    } catch (error) {
      // Requests this reader may not see are simply not listed.
      if (!(error instanceof ApiFailure && error.status === 403)) throw error;
    }
  }
  return { approvals, blocksSearched };
}

function approverText(approver: Approval['policy']['stages'][number]['approvers'][number], directory: Directory): string {
  return 'party' in approver ? partyName(directory, approver.party) : `any ${approver.role}`;
}

function policyText(approval: Approval, directory: Directory): string {
  const stages = approval.policy.stages.map((stage) => `${stage.required} of ${stage.approvers.map((approver) => approverText(approver, directory)).join(' / ')}`);
  return `${approval.policy.ordered ? 'In order' : 'In parallel'}: ${stages.join(approval.policy.ordered ? ', then ' : '; ')}`;
}

function actionSummary(approval: Approval): Child {
  const payload = approval.action.payload;
  const subject = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload['subject'] ?? payload['target'] ?? payload['participant']) : undefined;
  const kind = typeof payload === 'object' && payload !== null && !Array.isArray(payload) && typeof payload['kind'] === 'string' ? ` (${payload['kind']})` : '';
  return element(
    'span',
    {},
    element('code', {}, approval.action.type),
    kind,
    typeof subject === 'string' ? element('span', {}, ' for ', routeLink(`/item/${encodeURIComponent(subject)}`, { class: 'mono', title: subject }, shortUrn(subject))) : null,
  );
}

/** One request with its policy and signature trail. */
export function approvalView(approval: Approval, directory: Directory): HTMLElement {
  const trail = element('ol', { class: 'trail', 'data-testid': 'approval-trail' });
  for (const step of approval.trail) {
    const tone: Tone = step.kind === 'rejection' ? 'bad' : step.kind === 'approval' ? 'good' : 'info';
    const label = step.kind === 'request' ? 'Requested' : step.kind === 'approval' ? 'Approved' : 'Rejected';
    trail.append(
      element(
        'li',
        { 'data-kind': step.kind },
        badge(label, tone),
        step.stage === undefined ? null : element('span', { class: 'stage' }, `stage ${step.stage + 1}`),
        element('strong', { title: step.party }, partyName(directory, step.party)),
        element('span', { class: 'timeline-time' }, formatTime(step.timestamp)),
        element('span', {}, 'block ', blockLink(step.height)),
        element('span', {}, 'transaction ', transactionLink(step.txId, 8)),
        element('span', { class: 'signers' }, ...step.signatures.map((signature) => element('span', { class: 'signer', title: `key ${signature.publicKey}\nsignature ${signature.signature}` }, `${partyName(directory, signature.signer)} · key ${shortHash(signature.publicKey, 6)}`))),
        step.reason === undefined ? null : element('span', {}, `“${step.reason}”`),
      ),
    );
  }
  const outcome =
    approval.outcome === undefined ? 'not run yet' : approval.outcome.status === 'accepted' ? element('span', {}, badge('Action accepted', 'good')) : element('span', {}, badge('Action refused', 'bad'), ` ${approval.outcome.code}: ${approval.outcome.message}`);
  return element(
    'article',
    { class: 'approval', 'data-approval': approval.requestId },
    element('div', { class: 'timeline-heading' }, element('span', { class: 'timeline-title' }, actionSummary(approval)), badge(approval.status, STATUS_TONES[approval.status])),
    facts([
      ['Requested by', element('span', { title: approval.requester }, partyName(directory, approval.requester))],
      ['Policy', policyText(approval, directory)],
      ['Deadline', formatTime(approval.deadline)],
      ['Outcome', outcome],
      ['Request', routeLink(`/approvals/${approval.requestId}`, { class: 'mono' }, shortHash(approval.requestId))],
    ]),
    trail,
  );
}

export async function renderApprovals(page: Page, parameters: URLSearchParams): Promise<void> {
  const party = parameters.get('pendingFor') ?? '';
  const directory = await genesisDirectory();
  const input = element('input', { type: 'text', name: 'pendingFor', value: party, placeholder: 'urn:epc:id:pgln:0614146.00001', 'aria-label': 'Participant', list: 'participants', spellcheck: 'false' });
  const options = element('datalist', { id: 'participants' }, ...Object.entries(directory).map(([id, entry]) => element('option', { value: id }, `${entry.name} (${entry.roles.join(', ')})`)));
  const form = element('form', { class: 'search-form' }, input, options, element('button', { type: 'submit', class: 'button primary' }, 'Show pending'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    location.hash = value === '' ? '#/approvals' : `#/approvals?${new URLSearchParams({ pendingFor: value }).toString()}`;
  });
  const pendingBody = element('div', { class: 'card-body' }, party === '' ? empty('Choose a participant to see the requests waiting on its signature.') : loading());
  const recentBody = element('div', { class: 'card-body' }, loading());
  show(
    page,
    pageHeader({ eyebrow: 'Approvals', title: 'Multi-party approvals', subtitle: 'Certificates, recalls and governance changes that need several signatures, with every signature on the ledger.' }),
    element('div', { class: 'search-hero' }, element('h2', {}, 'Waiting on a participant'), element('p', {}, 'Requests whose next stage this participant may sign, by name or through one of its roles.'), form),
    element('div', { class: 'grid' }, card({ title: party === '' ? 'Pending' : `Pending for ${partyName(directory, party)}`, span: 12 }, pendingBody), card({ title: 'Recent requests', span: 12, testId: 'recent-approvals' }, recentBody)),
  );
  const pendingLoad = async () => {
    if (party === '') return;
    try {
      const pending = await getJson<PendingApprovals>(`/v1/approvals${query({ pendingFor: party })}`);
      fill(page, pendingBody, pending.approvals.length === 0 ? empty('Nothing is waiting on this participant.') : null, ...pending.approvals.map((approval) => approvalView({ ...approval, at: pending.at, trail: [] }, directory)));
    } catch (error) {
      fill(page, pendingBody, failureView(error));
    }
  };
  const recentLoad = async () => {
    try {
      const { ids, blocksSearched } = await recentApprovalRequestIds();
      const approvals: Approval[] = [];
      for (const id of ids.slice(0, 25)) {
        try {
          approvals.push(await getJson<Approval>(`/v1/approvals/${id}`));
        } catch (error) {
          if (!(error instanceof ApiFailure && error.status === 403)) throw error;
        }
      }
      const rows = approvals.map((approval) =>
        element(
          'tr',
          {},
          cell(routeLink(`/approvals/${approval.requestId}`, { class: 'mono' }, shortHash(approval.requestId))),
          cell(actionSummary(approval)),
          cell(partyName(directory, approval.requester), { narrowHidden: true }),
          cell(badge(approval.status, STATUS_TONES[approval.status])),
          cell(`${approval.approvals.length} of ${approval.policy.stages.reduce((sum, stage) => sum + stage.required, 0)}`, { numeric: true }),
          cell(formatTime(approval.createdAt.timestamp), { narrowHidden: true }),
        ),
      );
      fill(
        page,
        recentBody,
        rows.length === 0
          ? empty(`No approval request you may read in the latest ${plural(blocksSearched, 'block')}.`)
          : table(['Request', 'Action', { label: 'Requested by', narrowHidden: true }, 'Status', { label: 'Signed', numeric: true }, { label: 'Created', narrowHidden: true }], rows),
      );
    } catch (error) {
      fill(page, recentBody, failureView(error));
    }
  };
  await Promise.all([pendingLoad(), recentLoad()]);
}

export async function renderApproval(page: Page, id: string): Promise<void> {
  show(page, loading());
  const [approval, directory] = await Promise.all([getJson<Approval>(`/v1/approvals/${pathComponent(id)}`), genesisDirectory()]);
  show(
    page,
    pageHeader({ eyebrow: 'Approval request', title: id, identifier: true, badges: [badge(approval.status, STATUS_TONES[approval.status])] }),
    approval.status === 'pending' ? notice('neutral', 'Waiting for signatures', element('p', {}, `${plural(approval.approvals.length, 'approval')} so far; the action runs once, on the last required approval.`)) : null,
    element('div', { class: 'grid' }, card({ title: 'Request and signature trail', span: 12, testId: 'approval-card' }, approvalView(approval, directory))),
  );
}
