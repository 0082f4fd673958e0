/// <reference lib="dom" />
/**
 * Transactions and approvals in plain language: "Food Safety Authority recalled … because …",
 * "1 of any laboratory, then 1 of any regulator". What each sentence says comes from the signed
 * payload and the node's answers only; parties are named from the directory the page has (the
 * genesis and the history's participants), and by id when a name is not known.
 */
import { element, routeLink, type Child } from './dom.js';
import { formatTime, partyName, plural, shortHash, shortUrn, vocabulary, type Directory } from './format.js';
import type { Approval } from './types.js';

type Policy = Approval['policy'];
type Approver = Policy['stages'][number]['approvers'][number];
type JsonRecord = Record<string, unknown>;

/** "a certificate", "an allergen statement certificate". */
function withArticle(words: string): string {
  return `${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words}`;
}

/** A certificate's kind as words: `microbiology-clearance` -> "microbiology clearance certificate". */
function certificateWords(kind: string | undefined): string {
  return withArticle(`${kind === undefined ? '' : `${kind.replace(/[-_]/g, ' ')} `}certificate`);
}

function record(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A link to an item's page, reading as its short URN. */
export function itemReference(id: string): HTMLAnchorElement {
  return routeLink(`/item/${encodeURIComponent(id)}`, { class: 'mono', title: id }, shortUrn(id));
}

export function approverText(approver: Approver, directory: Directory): string {
  return 'party' in approver ? partyName(directory, approver.party) : `any ${approver.role}`;
}

/** "A", "A or B", "A, B or C". */
function alternatives(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/**
 * "1 of any laboratory"; "2 of Certified Food Lab, Food Safety Authority or any admin"; several
 * stages "then"-joined in order when the policy is ordered, else "and"-joined "in any order".
 */
export function policyText(policy: Policy, directory: Directory): string {
  const stages = policy.stages.map((stage) => `${stage.required} of ${alternatives(stage.approvers.map((approver) => approverText(approver, directory)))}`);
  if (stages.length === 1) return stages[0]!;
  if (policy.ordered) return stages.join(', then ');
  return `${stages.slice(0, -1).join(', ')} and ${stages[stages.length - 1]}, in any order`;
}

function participantOf(payload: JsonRecord): string | undefined {
  const participant = payload['participant'];
  return text(participant) ?? text(record(participant)['id']);
}

/** What an action does, as the rest of a sentence: "record a microbiology clearance certificate for <item>". */
export function actionPhrase(type: string, payloadValue: unknown, directory: Directory): Child[] {
  const payload = record(payloadValue);
  switch (type) {
    case 'certificate.record': {
      const subject = text(payload['subject']);
      const kind = text(payload['kind']);
      return [`record ${certificateWords(kind)}`, ...(subject === undefined ? [] : [' for ', itemReference(subject)])];
    }
    case 'recall.issue': {
      const target = text(payload['target']);
      return ['recall ', target === undefined ? 'an item' : itemReference(target)];
    }
    case 'quarantine.release': {
      const target = text(payload['target']);
      return ['release ', target === undefined ? 'an item' : itemReference(target), ' from quarantine'];
    }
    case 'epcis.capture': {
      const events = eventsOf(payload);
      return [`record ${plural(events.length, 'EPCIS event')}`];
    }
    case 'governance.add-participant': {
      const participant = record(payload['participant']);
      const id = participantOf(payload);
      return [`add ${text(participant['name']) ?? 'a participant'}${id === undefined ? '' : ` (${id})`} to the consortium`];
    }
    case 'governance.remove-participant':
      return [`remove ${partyName(directory, participantOf(payload))} from the consortium`];
    case 'governance.rotate-key':
      return [`rotate a key of ${partyName(directory, participantOf(payload))}`];
    case 'governance.revoke-key':
      return [`revoke a key of ${partyName(directory, participantOf(payload))}`];
    case 'governance.set-validators': {
      const validators = Array.isArray(payload['validators']) ? payload['validators'].length : 0;
      const height = payload['effectiveHeight'];
      return [`hand the chain to a set of ${plural(validators, 'validator')}${typeof height === 'number' ? ` from height ${height.toLocaleString()}` : ''}`];
    }
    default:
      return ['run ', element('code', {}, type)];
  }
}

function eventsOf(payload: JsonRecord): JsonRecord[] {
  const document = record(payload['document']);
  const list = record(document['epcisBody'])['eventList'];
  return Array.isArray(list) ? list.map(record) : [];
}

/** The identifiers an event names, in the order EPCIS lists them. */
function namedIdentifiers(event: JsonRecord): string[] {
  const found: string[] = [];
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : []);
  if (typeof event['parentID'] === 'string') found.push(event['parentID']);
  for (const member of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']) found.push(...strings(event[member]));
  for (const member of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    const list = event[member];
    if (Array.isArray(list)) for (const entry of list) if (typeof record(entry)['epcClass'] === 'string') found.push(record(entry)['epcClass'] as string);
  }
  return [...new Set(found)];
}

function joined(parts: Child[][], separator: string): Child[] {
  return parts.flatMap((part, index) => (index === 0 ? part : [separator, ...part]));
}

function signerNames(signers: readonly string[], directory: Directory): string {
  const names = signers.map((signer) => partyName(directory, signer));
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export interface TransactionFacts {
  /** The transaction's id: which of an approval's steps it is. */
  id?: string;
  type: string;
  payload: unknown;
  signers: readonly string[];
  result: { status: 'accepted' } | { status: 'rejected'; code: string; message: string };
}

/**
 * One sentence (or two) saying what a transaction did, from its signed payload: who recalled,
 * released, asked for or gave approval, or recorded what. `approval` is the request an
 * approval.approve or approval.reject answers, when the reader may see it.
 */
export function transactionSummary(facts: TransactionFacts, directory: Directory, approval?: Approval): Child[] {
  const payload = record(facts.payload);
  const who = signerNames(facts.signers, directory);
  const refused: Child[] = facts.result.status === 'rejected' ? [` The rules refused it (${facts.result.code}): ${facts.result.message}.`] : [];
  const quoted = (value: unknown) => `“${text(value) ?? ''}”`;
  switch (facts.type) {
    case 'recall.issue': {
      const target = text(payload['target']);
      return [`${who} recalled `, target === undefined ? 'an item' : itemReference(target), ` because ${text(payload['reason']) ?? 'of a reason not given'}.`, ...refused];
    }
    case 'quarantine.release': {
      const target = text(payload['target']);
      return [`${who} released `, target === undefined ? 'an item' : itemReference(target), ` from quarantine: ${quoted(payload['reason'])}.`, ...refused];
    }
    case 'approval.request': {
      const action = record(payload['action']);
      const policy = record(payload['policy']) as unknown as Policy;
      const stages = Array.isArray(policy.stages) ? policy.stages : [];
      const deadline = payload['deadline'];
      return [
        `${who} asked for ${plural(stages.length, 'stage')} of approval to `,
        ...actionPhrase(text(action['type']) ?? 'unknown', action['payload'], directory),
        stages.length === 0 ? '.' : `: ${policyText({ ordered: policy.ordered === true, stages }, directory)}`,
        typeof deadline === 'number' ? `, by ${formatTime(deadline)}.` : '.',
        ...refused,
      ];
    }
    case 'approval.approve':
    case 'approval.reject': {
      const verb = facts.type === 'approval.approve' ? 'approved' : 'rejected';
      const requestId = text(payload['requestId']) ?? '';
      const request = routeLink(`/approvals/${requestId}`, { class: 'mono', title: requestId }, shortHash(requestId, 8));
      const reason = facts.type === 'approval.reject' ? [`: ${quoted(payload['reason'])}`] : [];
      if (approval === undefined) return [`${who} ${verb} approval request `, request, ...reason, '.', ...refused];
      const entry = approval.approvals.find((step) => step.txId === facts.id);
      const stage = entry === undefined || approval.policy.stages.length === 1 ? '' : `, stage ${entry.stage + 1} of ${approval.policy.stages.length}`;
      const last = entry !== undefined && approval.approvals[approval.approvals.length - 1]?.txId === facts.id && approval.outcome !== undefined;
      const outcome = !last ? [] : approval.outcome!.status === 'accepted' ? [' It was the last approval needed: the action ran and was accepted.'] : [` It was the last approval needed: the action ran and was refused (${approval.outcome!.status === 'rejected' ? `${approval.outcome!.code}: ${approval.outcome!.message}` : ''}).`];
      return [`${who} ${verb} ${partyName(directory, approval.requester)}’s request (`, request, `${stage}) to `, ...actionPhrase(approval.action.type, approval.action.payload, directory), ...reason, '.', ...outcome, ...refused];
    }
    case 'certificate.record': {
      const subject = text(payload['subject']);
      const kind = text(payload['kind']);
      return [`${who} recorded ${certificateWords(kind)}`, ...(subject === undefined ? [] : [' for ', itemReference(subject)]), '.', ...refused];
    }
    case 'epcis.capture': {
      const events = eventsOf(payload);
      const described = events.slice(0, 6).map((event): Child[] => {
        const step = vocabulary(text(event['bizStep'])) || (text(event['type']) ?? 'event');
        const named = namedIdentifiers(event);
        const shown = named.slice(0, 4);
        const rest = named.length - shown.length;
        return [step, ...(shown.length === 0 ? [] : [' of ', ...joined(shown.map((id) => [itemReference(id)]), ', ')]), rest > 0 ? ` and ${plural(rest, 'more identifier')}` : ''];
      });
      return [`${who} recorded ${plural(events.length, 'EPCIS event')}`, ...(described.length === 0 ? [] : [': ', ...joined(described, '; ')]), events.length > described.length ? '; …' : '', '.', ...refused];
    }
    default:
      return [`${who} signed a `, element('code', {}, facts.type), ' transaction.', ...refused];
  }
}
