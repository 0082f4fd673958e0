/// <reference lib="dom" />
/**
 * The verifier panel (used on a transaction's page and on its own at #/verify): a proof
 * document in an editable text area, a button that runs `ledger/verify/proof.ts` on it in this
 * browser, the verdict with the check that failed, and the genesis it was checked against. An
 * auditor can paste a proof saved earlier, or edit the one the node served and watch the
 * verification fail: the node is not believed, only the keys are.
 */
import { parseStrictJson } from '../../../../ledger/encoding/strict-json.js';
import { button, element } from '../dom.js';
import { card, failureView, pageHeader } from '../components.js';
import { show, type Page } from '../page.js';
import { onTrustAnchorChange, runVerification, trustAnchor, trustAnchorView, verdictView, type TrustAnchor, type Verification } from '../verification.js';

const PROOF_BYTES_MAX = 8 * 1024 * 1024;

export interface ProofVerifier {
  /** The elements to place: the verdict area with its trust anchor, and the proof editor. */
  verdictArea: HTMLElement;
  editor: HTMLElement;
  /** Shows the node's proof; `fileName` is what "Save as file" suggests. */
  setProof(proof: unknown, fileName?: string): void;
  verifyText(): Promise<void>;
}

/** Parses the text area the way `custodia verify --proof` reads a file: strict JSON, one meaning only. */
function parseProofText(text: string): { ok: true; value: unknown } | { ok: false; verdict: Verification } {
  const parsed = parseStrictJson(text, { bytesMax: PROOF_BYTES_MAX });
  if (!parsed.ok) return { ok: false, verdict: { kind: 'transaction', verdict: { ok: false, step: 'format', message: `the proof is not valid JSON: ${parsed.error.message}` } } };
  return { ok: true, value: parsed.value };
}

export function proofVerifier(): ProofVerifier {
  const verdictSlot = element('div', { 'data-testid': 'verdict-area' });
  const anchorSlot = element('div');
  const textArea = element('textarea', { rows: 18, spellcheck: 'false', 'aria-label': 'Proof document (JSON)', 'data-testid': 'proof-text', placeholder: 'Paste a custodia-transaction-proof/1 document here' });
  let served = '';
  let fileName = 'custodia-proof.json';

  const showAnchor = (trusted: TrustAnchor | undefined, problem?: string) => {
    anchorSlot.replaceChildren(trustAnchorView(trusted, refreshAnchor, problem));
  };
  const refreshAnchor = () => void trustAnchor().then((trusted) => showAnchor(trusted), (error: unknown) => showAnchor(undefined, (error as Error).message));
  const stopListening = onTrustAnchorChange((trusted) => {
    showAnchor(trusted);
    // A verdict stands only for the genesis it was reached with.
    verdictSlot.replaceChildren();
  });
  // The panel is gone once the auditor navigates away.
  window.addEventListener('hashchange', () => stopListening(), { once: true });
  refreshAnchor();

  const verify = async (input: unknown, label: string) => {
    verdictSlot.replaceChildren(element('div', { class: 'loading', role: 'status' }, 'Verifying in this browser…'));
    let trusted: TrustAnchor;
    try {
      trusted = await trustAnchor();
    } catch (error) {
      verdictSlot.replaceChildren(failureView(error));
      return;
    }
    // Let the browser paint the progress line before the signature checks take the thread.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const verdict = runVerification(input, trusted);
    verdictSlot.replaceChildren(element('div', { class: 'verdict-subject', 'data-testid': 'verdict-subject' }, label), verdictView(verdict));
  };

  const verifyText = async () => {
    const text = textArea.value;
    const parsed = parseProofText(text);
    const label = served === '' ? 'The pasted proof:' : text === served ? 'The proof as the node served it:' : 'The proof in the text area, edited:';
    if (!parsed.ok) {
      verdictSlot.replaceChildren();
      const trusted = await trustAnchor().catch(() => undefined);
      if (trusted === undefined) {
        verdictSlot.append(failureView(new Error(parsed.verdict.verdict.ok ? '' : parsed.verdict.verdict.message)));
        return;
      }
      verdictSlot.append(element('div', { class: 'verdict-subject', 'data-testid': 'verdict-subject' }, label), verdictView(parsed.verdict));
      return;
    }
    await verify(parsed.value, label);
  };

  const fileInput = element('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'Load a proof file' });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file === undefined) return;
    void file.text().then((text) => {
      textArea.value = text;
      return verifyText();
    });
  });
  const restore = button('Restore original', { class: 'button', 'data-testid': 'restore-proof', hidden: true }, () => {
    textArea.value = served;
    verdictSlot.replaceChildren();
  });
  const editor = element(
    'div',
    {},
    element('p', { class: 'hint' }, 'Edit any field, or paste a proof saved earlier, then verify it. Save it to check it offline with custodia verify --proof FILE --genesis FILE.'),
    textArea,
    element(
      'div',
      { class: 'actions editor-actions' },
      button('Verify this proof', { class: 'button primary', 'data-testid': 'verify-pasted' }, () => void verifyText()),
      restore,
      element('label', { class: 'button file-label' }, 'Open file…', fileInput),
      button('Save as file', { class: 'button' }, () => {
        const blob = new Blob([textArea.value], { type: 'application/json' });
        const url = URL.createObjectURL(blob);
        const anchor = element('a', { href: url, download: fileName });
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      }),
    ),
  );
  return {
    verdictArea: element('div', {}, verdictSlot, anchorSlot),
    editor,
    setProof(proof: unknown, suggestedName?: string) {
      served = JSON.stringify(proof, null, 2);
      if (suggestedName !== undefined) fileName = suggestedName;
      textArea.value = served;
      restore.hidden = false;
    },
    verifyText,
  };
}

export async function renderVerify(page: Page): Promise<void> {
  const verifier = proofVerifier();
  show(
    page,
    pageHeader({ eyebrow: 'Verify', title: 'Verify a proof', subtitle: 'Checks, in this browser, that a transaction and its result are in the ledger a quorum of validators certified, or that a state key (an item’s custody, a recall) held a value or was absent at a certified height. Get a proof from a transaction’s or an item’s page, or from GET /v1/proofs/transactions/:id and GET /v1/proofs/state/:key.' }),
    element(
      'div',
      { class: 'grid' },
      card({ title: 'Proof document', span: 7, testId: 'proof-card' }, verifier.editor),
      card({ title: 'Verdict', span: 5, testId: 'verify-card' }, verifier.verdictArea),
    ),
  );
}
