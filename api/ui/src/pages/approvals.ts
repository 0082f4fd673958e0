/// <reference lib="dom" />
/**
 * Multi-party approvals: what waits on a party's signature, every request about an item or
 * involving a party (whatever its age or status), each request's policy and status, and its
 * signature trail (the request, every approval or rejection, each its own signed transaction
 * that the auditor can open and verify). Lists come from the node's indices
 * (GET /v1/approvals?pendingFor=, ?subject=, ?party=), a page at a time, never from a window of
 * recent blocks, so a request is listed however long ago it was made.
 */
import { ApiFailure, getJson, pathComponent, query } from '../api.js';
import { badge, blockLink, card, cell, empty, facts, failureView, loading, notice, pageHeader, table, transactionLink, type Tone } from '../components.js';
import { actionPhrase, policyText } from '../describe.js';
import { element, routeLink, type Child } from '../dom.js';
import { formatTime, partyName, plural, shortHash, type Directory } from '../format.js';
import { fill, show, type Page } from '../page.js';
import type { Approval, ApprovalRequest, PendingApprovals, Role } from '../types.js';
import { genesisDirectory } from '../verification.js';

/** Every role a policy can name (contracts/participants.ts ROLES); the type check below keeps the list whole. */
export const ROLES = ['producer', 'processor', 'carrier', 'distributor', 'retailer', 'laboratory', 'inspector', 'regulator', 'auditor', 'admin'] as const satisfies readonly Role[];
const everyRoleListed: [Exclude<Role, (typeof ROLES)[number]>] extends [never] ? true : false = true;
void everyRoleListed;

/** Pages of one list read before the UI says there are more and stops. */
const PAGES_MAX = 20;
const REQUESTS_IN_FLIGHT = 4;

const STATUS_TONES: Record<Approval['status'], Tone> = { pending: 'info', executed: 'good', failed: 'bad', rejected: 'bad', expired: 'warn' };

export function approvalStatusBadge(approval: ApprovalRequest): HTMLSpanElement {
  return badge(approval.status, STATUS_TONES[approval.status], { 'data-approval-status': approval.status });
}

/** Every request a list names (following `next`), up to PAGES_MAX pages. */
export async function approvalsListed(parameters: { subject: string } | { party: string }): Promise<{ approvals: ApprovalRequest[]; complete: boolean; at: number }> {
  const approvals: ApprovalRequest[] = [];
  let after: string | undefined;
  let at = 0;
  for (let page = 0; page < PAGES_MAX; page++) {
    const list = await getJson<PendingApprovals>(`/v1/approvals${query({ ...parameters, after })}`);
    approvals.push(...list.approvals);
    at = list.at;
    if (list.next === undefined) return { approvals, complete: true, at };
    after = list.next;
  }
  return { approvals, complete: false, at };
}

/**
 * Every request the lists of `keys` name (participants or role:NAME), read whole (up to
 * PAGES_MAX pages each) and merged. Lists this reader may not read (403) are left out and
 * counted.
 */
async function approvalsOf(keys: readonly string[]): Promise<{ approvals: ApprovalRequest[]; complete: boolean; hidden: number }> {
  const found = new Map<string, ApprovalRequest>();
  let complete = true;
  let hidden = 0;
  for (let start = 0; start < keys.length; start += REQUESTS_IN_FLIGHT) {
    const lists = await Promise.all(
      keys.slice(start, start + REQUESTS_IN_FLIGHT).map((party) =>
        approvalsListed({ party }).catch((error: unknown) => {
          if (error instanceof ApiFailure && error.status === 403) {
            hidden++;
            return { approvals: [], complete: true, at: 0 };
          }
          throw error;
        }),
      ),
    );
    for (const list of lists) {
      complete &&= list.complete;
      for (const approval of list.approvals) found.set(approval.requestId, approval);
    }
  }
  return { approvals: [...found.values()], complete, hidden };
}

/**
 * Every request the consortium's participants made or may sign: the lists of every role (each
 * request names at least one approver, by role or by party) and of every participant the
 * directory knows (a request's requester, and its approvers named by party).
 */
function everyApproval(directory: Directory) {
  return approvalsOf([...ROLES.map((role) => `role:${role}`), ...Object.keys(directory)]);
}

/** A participant's requests: those it made or may sign by name, and those it may sign through one of its roles. */
function participantApprovals(directory: Directory, participant: string) {
  return approvalsOf([participant, ...(directory[participant]?.roles ?? []).map((role) => `role:${role}`)]);
}

function newestFirst(approvals: readonly ApprovalRequest[]): ApprovalRequest[] {
  return [...approvals].sort((left, right) => right.createdAt.height - left.createdAt.height || left.requestId.localeCompare(right.requestId));
}

export function actionSummary(approval: ApprovalRequest, directory: Directory): Child {
  const phrase = actionPhrase(approval.action.type, approval.action.payload, directory);
  const [first, ...rest] = phrase;
  const capitalised = typeof first === 'string' && first.length > 0 ? `${first[0]!.toUpperCase()}${first.slice(1)}` : first;
  return element('span', { class: 'action-summary', title: approval.action.type }, capitalised, ...rest);
}

function requiredApprovals(approval: ApprovalRequest): number {
  return approval.policy.stages.reduce((sum, stage) => sum + stage.required, 0);
}

/** Where a request stands, in words: who rejected it and why, what it waits on, what its action did. */
function standing(approval: ApprovalRequest, directory: Directory): Child {
  switch (approval.status) {
    case 'rejected': {
      const rejection = approval.rejection;
      if (rejection === undefined) return element('span', {}, badge('rejected', 'bad'));
      return element('span', { 'data-testid': 'rejection' }, 'Rejected by ', element('strong', { title: rejection.party }, partyName(directory, rejection.party)), `: “${rejection.reason}” · block `, blockLink(rejection.height));
    }
    case 'pending': {
      const signed = approval.approvals.length;
      const stage = approval.policy.ordered ? approval.policy.stages[Math.min(approval.policy.stages.length - 1, stageReached(approval))] : undefined;
      return element('span', {}, `${signed} of ${requiredApprovals(approval)} approvals so far`, stage === undefined ? '' : `; waiting on ${stage.required} of ${stage.approvers.map((approver) => ('party' in approver ? partyName(directory, approver.party) : `any ${approver.role}`)).join(' or ')}`, ` until ${formatTime(approval.deadline)}`);
    }
    case 'expired':
      return element('span', {}, `Expired at ${formatTime(approval.deadline)} with ${plural(approval.approvals.length, 'approval')} of ${requiredApprovals(approval)}`);
    case 'executed':
    case 'failed':
      return approval.outcome === undefined || approval.outcome.status === 'accepted'
        ? element('span', {}, badge('Action accepted', 'good'), ' on the last approval')
        : element('span', {}, badge('Action refused', 'bad'), ` ${approval.outcome.code}: ${approval.outcome.message}`);
  }
}

/** The stage an ordered request waits on: the first whose approvals fall short. */
function stageReached(approval: ApprovalRequest): number {
  for (const [index, stage] of approval.policy.stages.entries()) {
    if (approval.approvals.filter((entry) => entry.stage === index).length < stage.required) return index;
  }
  return approval.policy.stages.length - 1;
}

type TrailStep = Approval['trail'][number] | (Omit<Approval['trail'][number], 'signatures'> & { signatures?: undefined });

/** The full trail when the node gave one (GET /v1/approvals/:id), else the one a list entry implies, without the signatures. */
function trailOf(approval: ApprovalRequest | Approval): TrailStep[] {
  if ('trail' in approval) return approval.trail;
  const steps: TrailStep[] = [{ kind: 'request', party: approval.requester, txId: approval.requestId, height: approval.createdAt.height, timestamp: approval.createdAt.timestamp }];
  for (const entry of approval.approvals) steps.push({ kind: 'approval', party: entry.party, txId: entry.txId, height: entry.height, timestamp: entry.timestamp, stage: entry.stage });
  if (approval.rejection !== undefined) {
    const { party, txId, height, reason } = approval.rejection;
    steps.push({ kind: 'rejection', party, txId, height, timestamp: Number.NaN, reason });
  }
  return steps;
}

/** One request with its policy and signature trail. */
export function approvalView(approval: ApprovalRequest | Approval, directory: Directory): HTMLElement {
  const trail = element('ol', { class: 'trail', 'data-testid': 'approval-trail' });
  for (const step of trailOf(approval)) {
    const tone: Tone = step.kind === 'rejection' ? 'bad' : step.kind === 'approval' ? 'good' : 'info';
    const label = step.kind === 'request' ? 'Requested' : step.kind === 'approval' ? 'Approved' : 'Rejected';
    trail.append(
      element(
        'li',
        { 'data-kind': step.kind },
        badge(label, tone),
        step.stage === undefined ? null : element('span', { class: 'stage' }, `stage ${step.stage + 1}`),
        element('strong', { title: step.party }, partyName(directory, step.party)),
        Number.isNaN(step.timestamp) ? null : element('span', { class: 'timeline-time' }, formatTime(step.timestamp)),
        element('span', {}, 'block ', blockLink(step.height)),
        element('span', {}, 'transaction ', transactionLink(step.txId, 8)),
        step.signatures === undefined
          ? null
          : element('span', { class: 'signers' }, ...step.signatures.map((signature) => element('span', { class: 'signer', title: `key ${signature.publicKey}\nsignature ${signature.signature}` }, `${partyName(directory, signature.signer)} · key ${shortHash(signature.publicKey, 6)}`))),
        step.reason === undefined ? null : element('span', {}, `“${step.reason}”`),
      ),
    );
  }
  return element(
    'article',
    { class: 'approval', 'data-approval': approval.requestId },
    element('div', { class: 'timeline-heading' }, element('span', { class: 'timeline-title' }, actionSummary(approval, directory)), approvalStatusBadge(approval)),
    facts([
      ['Requested by', element('span', { title: approval.requester }, partyName(directory, approval.requester))],
      ['Policy', element('span', { 'data-testid': 'approval-policy' }, policyText(approval.policy, directory))],
      ['Status', standing(approval, directory)],
      ['Requested', element('span', {}, formatTime(approval.createdAt.timestamp), ' · block ', blockLink(approval.createdAt.height))],
      ['Request', routeLink(`/approvals/${approval.requestId}`, { class: 'mono', title: approval.requestId }, shortHash(approval.requestId))],
    ]),
    trail,
  );
}

function approvalRows(approvals: readonly ApprovalRequest[], directory: Directory): HTMLTableRowElement[] {
  return approvals.map((approval) =>
    element(
      'tr',
      { 'data-approval': approval.requestId },
      cell(routeLink(`/approvals/${approval.requestId}`, { class: 'mono', title: approval.requestId }, shortHash(approval.requestId))),
      cell(element('div', {}, actionSummary(approval, directory), element('div', { class: 'timeline-time' }, policyText(approval.policy, directory)))),
      cell(partyName(directory, approval.requester), { narrowHidden: true }),
      cell(
        element(
          'div',
          {},
          approvalStatusBadge(approval),
          approval.rejection === undefined ? null : element('div', { class: 'timeline-time' }, `by ${partyName(directory, approval.rejection.party)}: “${approval.rejection.reason}”`),
        ),
      ),
      cell(`${approval.approvals.length} of ${requiredApprovals(approval)}`, { numeric: true }),
      cell(formatTime(approval.createdAt.timestamp), { narrowHidden: true }),
    ),
  );
}

function approvalTable(approvals: readonly ApprovalRequest[], directory: Directory): HTMLElement {
  return table(['Request', 'Action and policy', { label: 'Requested by', narrowHidden: true }, 'Status', { label: 'Signed', numeric: true }, { label: 'Requested', narrowHidden: true }], approvalRows(approvals, directory));
}

function partyLabel(directory: Directory, party: string): string {
  return party.startsWith('role:') ? `any ${party.slice('role:'.length)}` : partyName(directory, party);
}

export async function renderApprovals(page: Page, parameters: URLSearchParams): Promise<void> {
  const pendingFor = parameters.get('pendingFor') ?? '';
  const party = parameters.get('party') ?? '';
  const after = parameters.get('after') ?? undefined;
  const directory = await genesisDirectory();

  const pendingInput = element('input', { type: 'text', name: 'pendingFor', value: pendingFor, placeholder: 'urn:epc:id:pgln:0614146.00001', 'aria-label': 'Participant', list: 'participants', spellcheck: 'false' });
  const options = element('datalist', { id: 'participants' }, ...Object.entries(directory).map(([id, entry]) => element('option', { value: id }, `${entry.name} (${entry.roles.join(', ')})`)));
  const pendingForm = element('form', { class: 'search-form' }, pendingInput, options, element('button', { type: 'submit', class: 'button primary' }, 'Show pending'));
  pendingForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = pendingInput.value.trim();
    const next = new URLSearchParams(party === '' ? {} : { party });
    if (value !== '') next.set('pendingFor', value);
    location.hash = next.toString() === '' ? '#/approvals' : `#/approvals?${next.toString()}`;
  });

  const partySelect = element(
    'select',
    { name: 'party', 'aria-label': 'Requests involving', 'data-testid': 'approvals-party' },
    element('option', { value: '', selected: party === '' }, 'every participant and role'),
    element('optgroup', { label: 'Participants' }, ...Object.entries(directory).map(([id, entry]) => element('option', { value: id, selected: party === id }, entry.name))),
    element('optgroup', { label: 'Roles' }, ...ROLES.map((role) => element('option', { value: `role:${role}`, selected: party === `role:${role}` }, `any ${role}`))),
  );
  if (party !== '' && !Array.from(partySelect.options).some((option) => option.value === party)) partySelect.append(element('option', { value: party, selected: true }, party));
  partySelect.addEventListener('change', () => {
    const next = new URLSearchParams(pendingFor === '' ? {} : { pendingFor });
    if (partySelect.value !== '') next.set('party', partySelect.value);
    location.hash = next.toString() === '' ? '#/approvals' : `#/approvals?${next.toString()}`;
  });

  const pendingBody = element('div', { class: 'card-body' }, pendingFor === '' ? empty('Choose a participant to see the requests waiting on its signature.') : loading());
  const listBody = element('div', {}, element('div', { class: 'card-body' }, loading()));
  show(
    page,
    pageHeader({ eyebrow: 'Approvals', title: 'Multi-party approvals', subtitle: 'Certificates, recalls and governance changes that need several signatures, with every signature on the ledger.' }),
    element('div', { class: 'search-hero' }, element('h2', {}, 'Waiting on a participant'), element('p', {}, 'Requests whose next stage this participant may sign, by name or through one of its roles.'), pendingForm),
    element(
      'div',
      { class: 'grid' },
      card({ title: pendingFor === '' ? 'Pending' : `Pending for ${partyName(directory, pendingFor)}`, span: 12, testId: 'pending-approvals' }, pendingBody),
      card(
        { title: party === '' ? 'All requests' : `Requests involving ${partyLabel(directory, party)}`, hint: party === '' || party.startsWith('role:') ? 'made by or signable by, any age or status' : 'made by it, or signable by it by name or through its roles; any age or status', span: 12, flush: true, testId: 'recent-approvals', actions: element('label', { class: 'inline-field' }, 'Involving ', partySelect) },
        listBody,
      ),
    ),
  );

  const pendingLoad = async () => {
    if (pendingFor === '') return;
    try {
      const pending = await getJson<PendingApprovals>(`/v1/approvals${query({ pendingFor })}`);
      fill(page, pendingBody, pending.approvals.length === 0 ? empty('Nothing is waiting on this participant.') : null, ...pending.approvals.map((approval) => approvalView(approval, directory)));
    } catch (error) {
      fill(page, pendingBody, failureView(error));
    }
  };

  const mergedView = (found: { approvals: ApprovalRequest[]; complete: boolean; hidden: number }, nothing: string): Child[] => {
    const approvals = newestFirst(found.approvals);
    return [
      approvals.length === 0 ? element('div', { class: 'card-body' }, empty(nothing)) : approvalTable(approvals, directory),
      found.complete
        ? null
        : element('div', { class: 'card-body' }, notice('warn', 'More requests than one view lists', element('p', {}, 'Choose one role above to page through all of its requests.'))),
      found.hidden === 0 ? null : element('div', { class: 'card-body' }, element('p', { class: 'hint' }, `${plural(found.hidden, 'list')} of other parties' requests are not visible to your organisation.`)),
    ];
  };

  const listLoad = async () => {
    try {
      if (party === '') {
        fill(page, listBody, ...mergedView(await everyApproval(directory), 'No approval request you may read has been made on this ledger.'));
        return;
      }
      if (!party.startsWith('role:')) {
        fill(page, listBody, ...mergedView(await participantApprovals(directory, party), 'No approval request involves this participant or its roles.'));
        return;
      }
      // One role's list, a page at a time in ledger order.
      const list = await getJson<PendingApprovals>(`/v1/approvals${query({ party, after })}`);
      const base = new URLSearchParams({ ...(pendingFor === '' ? {} : { pendingFor }), party });
      const more = list.next === undefined ? null : routeLink(`/approvals?${new URLSearchParams({ ...Object.fromEntries(base), after: list.next }).toString()}`, { class: 'button', 'data-testid': 'approvals-more' }, 'Later requests →');
      const first = after === undefined ? null : routeLink(`/approvals?${base.toString()}`, { class: 'button' }, '← Earliest');
      fill(
        page,
        listBody,
        list.approvals.length === 0 ? element('div', { class: 'card-body' }, empty('No approval request involves this role.')) : approvalTable(list.approvals, directory),
        more === null && first === null ? null : element('div', { class: 'pager' }, first ?? element('span', {}), more ?? element('span', {})),
      );
    } catch (error) {
      fill(page, listBody, element('div', { class: 'card-body' }, failureView(error)));
    }
  };
  await Promise.all([pendingLoad(), listLoad()]);
}

export async function renderApproval(page: Page, id: string): Promise<void> {
  show(page, loading());
  const [approval, directory] = await Promise.all([getJson<Approval>(`/v1/approvals/${pathComponent(id)}`), genesisDirectory()]);
  const rejection = approval.rejection;
  show(
    page,
    pageHeader({ eyebrow: 'Approval request', title: id, identifier: true, subtitle: actionSummary(approval, directory), badges: [approvalStatusBadge(approval)] }),
    approval.status === 'pending' ? notice('neutral', 'Waiting for signatures', element('p', {}, `${plural(approval.approvals.length, 'approval')} so far; the action runs once, on the last required approval.`)) : null,
    rejection === undefined ? null : notice('bad', `Rejected by ${partyName(directory, rejection.party)}`, element('p', {}, `“${rejection.reason}”. A rejected request never runs its action.`)),
    element('div', { class: 'grid' }, card({ title: 'Request and signature trail', span: 12, testId: 'approval-card' }, approvalView(approval, directory))),
  );
}
