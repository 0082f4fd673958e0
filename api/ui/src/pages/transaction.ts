/// <reference lib="dom" />
/**
 * One transaction: its status and result, who signed it, what it carried, and "Verify": its
 * proof fetched from the node and checked in this browser against the genesis validator keys.
 * The proof is shown in an editable text area, so an auditor can alter it and see the check fail.
 */
import { ApiFailure, getJson, getJsonOrMissing } from '../api.js';
import { badge, blockLink, card, facts, failureView, loading, pageHeader, prettyJson } from '../components.js';
import { transactionSummary } from '../describe.js';
import { button, element, routeLink, type Child } from '../dom.js';
import { formatTime, partyName, shortHash } from '../format.js';
import { fill, show, type Page } from '../page.js';
import type { Approval, BlockSummary, TransactionProofDocument, TransactionStatus } from '../types.js';
import { genesisDirectory } from '../verification.js';
import { proofVerifier } from './verify.js';

/** How often, one second apart, to ask again while no certified checkpoint covers the transaction yet. */
const CHECKPOINT_ATTEMPTS_MAX = 15;

async function fetchProof(id: string, stale: () => boolean, progress: (text: string) => void): Promise<TransactionProofDocument | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getJson<TransactionProofDocument>(`/v1/proofs/transactions/${id}`);
    } catch (error) {
      const waiting = error instanceof ApiFailure && error.status === 409 && error.code === 'not-yet-checkpointed';
      if (!waiting || attempt >= CHECKPOINT_ATTEMPTS_MAX || stale()) throw error;
      progress('Committed moments ago: waiting for a certified checkpoint that covers it…');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stale()) return undefined;
    }
  }
}

function relatedLinks(proof: TransactionProofDocument): Child {
  const { type, payload } = proof.transaction.body;
  const record = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {};
  const links: Child[] = [];
  if (type === 'recall.issue') links.push(routeLink(`/recalls/${proof.entry.txId}`, { class: 'button' }, 'Recall scope'));
  if (type === 'approval.request') links.push(routeLink(`/approvals/${proof.entry.txId}`, { class: 'button' }, 'Approval and its trail'));
  if ((type === 'approval.approve' || type === 'approval.reject') && typeof record['requestId'] === 'string') links.push(routeLink(`/approvals/${record['requestId']}`, { class: 'button' }, 'The approval request'));
  const target = record['target'];
  if (typeof target === 'string') links.push(routeLink(`/item/${encodeURIComponent(target)}`, { class: 'button' }, 'The item'));
  return links.length === 0 ? null : element('div', { class: 'actions' }, ...links);
}

export async function renderTransaction(page: Page, id: string): Promise<void> {
  show(page, loading());
  const status = await getJson<TransactionStatus>(`/v1/transactions/${id}`);
  const directory = await genesisDirectory();
  // A refused transaction is committed too (its result says why), so it has a proof like any other.
  const statusBadge =
    status.status === 'committed' || status.status === 'rejected'
      ? status.result.status === 'accepted'
        ? badge('Committed · accepted', 'good')
        : badge(`Committed · refused: ${status.result.code}`, 'bad')
      : badge(status.status === 'pending' ? 'Pending: not committed yet' : status.status, 'info');

  const details = element('div', {}, loading());
  const summary = element('div', { 'data-testid': 'transaction-summary', class: 'summary' }, loading());
  const payload = element('div', {}, loading());
  const verifier = proofVerifier();
  const proofFileName = `custodia-proof-${id.slice(0, 16)}.json`;
  const proofStatus = element('div', { class: 'hint', role: 'status' });
  let proof: TransactionProofDocument | undefined;
  const verifyServed = () => {
    if (proof === undefined) return;
    verifier.setProof(proof, proofFileName);
    void verifier.verifyText();
  };
  const verifyAction = button('Verify in this browser', { class: 'button primary', 'data-testid': 'verify-button', disabled: true }, verifyServed);

  show(
    page,
    pageHeader({ eyebrow: 'Transaction', title: id, identifier: true, badges: [statusBadge] }),
    element(
      'div',
      { class: 'grid' },
      card({ title: 'What it did', span: 12, testId: 'summary-card' }, summary),
      card({ title: 'Details', span: 5, testId: 'transaction-details' }, details),
      card({ title: 'Verify', hint: 'inclusion and quorum signatures, checked here', span: 7, testId: 'verify-card' }, element('div', { class: 'actions verify-actions' }, verifyAction), proofStatus, verifier.verdictArea),
      card({ title: 'Proof document', hint: 'custodia-transaction-proof/1', span: 7, testId: 'proof-card' }, verifier.editor),
      card({ title: 'Payload', hint: 'the signed payload, as JSON', span: 5, flush: true, testId: 'payload-card' }, payload),
    ),
  );

  if (status.status !== 'committed' && status.status !== 'rejected') {
    fill(page, details, facts([['Status', status.status === 'pending' ? 'waiting in the mempool to be ordered' : status.status]]));
    fill(page, summary, status.status === 'pending' ? 'Not committed yet: what it does is shown once it is.' : 'This node knows no such transaction.');
    fill(page, proofStatus, 'Only committed transactions have proofs.');
    fill(page, payload, element('div', { class: 'card-body' }, 'Shown once committed.'));
    return;
  }

  try {
    proof = await fetchProof(id, page.stale, (text) => {
      proofStatus.textContent = text;
    });
  } catch (error) {
    fill(page, details, facts([['Block', blockLink(status.height)], ['Position', String(status.position)]]));
    fill(page, summary, failureView(error));
    fill(page, proofStatus, failureView(error));
    fill(page, payload, element('div', { class: 'card-body' }, failureView(error)));
    return;
  }
  if (proof === undefined || page.stale()) return;
  proofStatus.textContent = '';
  const body = proof.transaction.body;
  const requestId = typeof body.payload === 'object' && body.payload !== null && !Array.isArray(body.payload) ? body.payload['requestId'] : undefined;
  const [block, approval] = await Promise.all([
    getJsonOrMissing<BlockSummary>(`/v1/blocks/${proof.entry.height}`).catch(() => undefined),
    (body.type === 'approval.approve' || body.type === 'approval.reject') && typeof requestId === 'string' ? getJsonOrMissing<Approval>(`/v1/approvals/${requestId}`).catch(() => undefined) : undefined,
  ]);
  if (page.stale()) return;
  fill(page, summary, element('p', { class: 'summary-text' }, ...transactionSummary({ id, type: body.type, payload: body.payload, signers: body.signers, result: proof.entry.result }, directory, approval)));
  fill(
    page,
    details,
    facts([
      ['Type', element('code', {}, body.type)],
      ['Result', proof.entry.result.status === 'accepted' ? badge('accepted', 'good') : element('span', {}, badge('rejected', 'bad'), ` ${proof.entry.result.code}: ${proof.entry.result.message}`)],
      ['Block', element('span', {}, blockLink(proof.entry.height), ` · position ${proof.entry.position}`)],
      ['Signed by', element('span', { class: 'signers' }, ...proof.transaction.signatures.map((signature) => element('span', { class: 'signer', title: `${signature.signer}\nkey ${signature.publicKey}` }, partyName(directory, signature.signer))))],
      ['Created', element('span', { 'data-testid': 'created-at' }, body.createdAt === undefined ? 'not stated by the submitter' : formatTime(body.createdAt), element('span', { class: 'timeline-time' }, ' (the submitter’s clock)'))],
      ['Block time', element('span', { 'data-testid': 'block-time' }, block === undefined ? '—' : formatTime(block.header.timestamp), element('span', { class: 'timeline-time' }, ' (the ledger’s clock)'))],
      ['Nonce', element('span', { class: 'mono' }, body.nonce)],
      ['Chain', element('span', { class: 'mono' }, body.chainId)],
      ['Ledger entry', `leaf ${proof.inclusion.leafIndex.toLocaleString()} of ${proof.inclusion.logSize.toLocaleString()}`],
      ['Checkpoint', element('span', {}, blockLink(proof.checkpoint.header.height), ` · ${shortHash(proof.checkpoint.certificate.vote.blockHash)}`)],
    ]),
    relatedLinks(proof),
  );
  fill(page, payload, prettyJson(body.payload));
  verifier.setProof(proof, proofFileName);
  verifyAction.disabled = false;
}
