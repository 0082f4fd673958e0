/// <reference lib="dom" />
/**
 * "Verify" in the browser: `ledger/verify/proof.ts` and `ledger/verify/state-proof.ts`, the same
 * verifiers `custodia verify` runs, bundled with the @noble backends under the pinned ed25519
 * rules, check a transaction proof or a state proof against the genesis validator keys (and, after a validator-set change, against the later sets
 * the proof's hand-overs lead to, each certified by the set before it). Nothing the node says
 * about the proof is trusted; the only input taken on trust is the genesis (the trust anchor).
 * The UI fetches it from the node for convenience, shows its hash so the auditor can compare it
 * with the one the consortium published, and lets the auditor load their own copy of
 * genesis.json instead.
 */
import { loadGenesis, type GenesisLoad } from '../../../ledger/model/genesis.js';
import { parseStrictJson } from '../../../ledger/encoding/strict-json.js';
import { verifyTransactionProof, type ProofCheckStep, type ProofVerdict } from '../../../ledger/verify/proof.js';
import { STATE_PROOF_FORMAT, verifyStateProof, type StateProofCheckStep, type StateProofVerdict } from '../../../ledger/verify/state-proof.js';
import { ApiFailure, getJson } from './api.js';
import { badge, facts } from './components.js';
import { element } from './dom.js';
import { shortHash } from './format.js';

const GENESIS_STORAGE_KEY = 'custodia.genesis';
/** Where the node serves its genesis document. */
export const GENESIS_PATH = '/v1/genesis';

export type TrustAnchor = Extract<GenesisLoad, { ok: true }> & { source: 'node' | 'file'; label: string };

let anchor: TrustAnchor | undefined;
const anchorListeners = new Set<(anchor: TrustAnchor | undefined) => void>();

export function onTrustAnchorChange(listener: (anchor: TrustAnchor | undefined) => void): () => void {
  anchorListeners.add(listener);
  return () => anchorListeners.delete(listener);
}

function setAnchor(next: TrustAnchor | undefined): void {
  anchor = next;
  for (const listener of anchorListeners) listener(next);
}

function fromDocument(input: unknown, source: TrustAnchor['source'], label: string): TrustAnchor {
  const loaded = loadGenesis(input);
  if (!loaded.ok) throw new Error(`not a usable genesis document: ${loaded.path === '' ? '' : `${loaded.path}: `}${loaded.message}`);
  return { ...loaded, source, label };
}

/** The node's answer is asked once per page load (a node without the route keeps answering 404). */
let nodeAnchor: Promise<TrustAnchor> | undefined;

async function fetchNodeGenesis(): Promise<TrustAnchor> {
  let served: unknown;
  try {
    served = await getJson<unknown>(GENESIS_PATH);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) {
      throw new Error('this node does not serve its genesis document; load your copy of genesis.json to verify');
    }
    throw error;
  }
  // The node may wrap the document ({ genesis, hash }) or serve it bare.
  const document = typeof served === 'object' && served !== null && 'genesis' in served ? (served as { genesis: unknown }).genesis : served;
  return fromDocument(document, 'node', 'genesis served by this node');
}

/** The genesis the auditor loaded from a file, if any, else the node's. */
export async function trustAnchor(): Promise<TrustAnchor> {
  if (anchor !== undefined) return anchor;
  const stored = readStoredGenesis();
  if (stored !== undefined) {
    try {
      setAnchor(fromDocument(stored.document, 'file', stored.label));
      return anchor!;
    } catch {
      forgetStoredGenesis();
    }
  }
  nodeAnchor ??= fetchNodeGenesis();
  try {
    const fetched = await nodeAnchor;
    if (anchor === undefined) setAnchor(fetched);
    return anchor ?? fetched;
  } catch (error) {
    // A missing credential is worth asking again once the auditor has entered one.
    if (error instanceof ApiFailure && error.needsCredential) nodeAnchor = undefined;
    throw error;
  }
}

function readStoredGenesis(): { document: unknown; label: string } | undefined {
  try {
    const text = sessionStorage.getItem(GENESIS_STORAGE_KEY);
    return text === null ? undefined : (JSON.parse(text) as { document: unknown; label: string });
  } catch {
    return undefined;
  }
}

function forgetStoredGenesis(): void {
  try {
    sessionStorage.removeItem(GENESIS_STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}

/** Parses a genesis file the auditor chose and makes it the trust anchor. */
export async function useGenesisFile(file: File): Promise<TrustAnchor> {
  const parsed = parseStrictJson(await file.text(), { bytesMax: 16 * 1024 * 1024 });
  if (!parsed.ok) throw new Error(`${file.name} is not valid JSON: ${parsed.error.message}`);
  const loaded = fromDocument(parsed.value, 'file', file.name);
  try {
    sessionStorage.setItem(GENESIS_STORAGE_KEY, JSON.stringify({ document: parsed.value, label: file.name }));
  } catch {
    // Storage disabled: the file is trusted for this page only.
  }
  setAnchor(loaded);
  return loaded;
}

export function useNodeGenesis(): void {
  forgetStoredGenesis();
  nodeAnchor = undefined;
  setAnchor(undefined);
}

/** The checks both kinds of proof share: the chain, and the hand-overs and certificate from the genesis keys. */
const CHAIN_STEP = { step: 'chain', label: 'It is for this chain' } as const;
const CERTIFIED_STEPS = [
  { step: 'epoch-change', label: 'Each validator-set change since genesis was signed by a quorum of the set before it' },
  { step: 'certificate', label: "A quorum of the checkpoint's validator set signed it" },
] as const;

export const PROOF_STEPS: ReadonlyArray<{ step: ProofCheckStep; label: string }> = [
  { step: 'format', label: 'The proof is a well-formed custodia-transaction-proof/1 document' },
  CHAIN_STEP,
  { step: 'transaction', label: "The transaction's signatures verify and its id is the hash of its body" },
  { step: 'entry', label: 'The ledger entry names this transaction, with its result' },
  { step: 'checkpoint', label: 'The certificate is on the checkpoint header, which covers the entry' },
  ...CERTIFIED_STEPS,
  { step: 'inclusion', label: "The entry is a leaf of the checkpoint's Merkle log (RFC 9162)" },
];

export const STATE_PROOF_STEPS: ReadonlyArray<{ step: StateProofCheckStep; label: string }> = [
  { step: 'format', label: 'The proof is a well-formed custodia-state-proof/1 document' },
  CHAIN_STEP,
  { step: 'checkpoint', label: 'The certificate is on the checkpoint header, which states the ledger at the proof’s height' },
  ...CERTIFIED_STEPS,
  { step: 'state', label: "The key's value, or its absence, leads to the header's state root (sparse Merkle tree)" },
];

/** A transaction proof's verdict or a state proof's, by the proof's format. */
export type Verification = { kind: 'transaction'; verdict: ProofVerdict } | { kind: 'state'; verdict: StateProofVerdict };

export function runVerification(proof: unknown, trusted: TrustAnchor): Verification {
  const format = typeof proof === 'object' && proof !== null ? (proof as { format?: unknown }).format : undefined;
  if (format === STATE_PROOF_FORMAT) return { kind: 'state', verdict: verifyStateProof(proof, trusted.genesis.chainId, trusted.validators) };
  return { kind: 'transaction', verdict: verifyTransactionProof(proof, trusted.genesis.chainId, trusted.validators) };
}

function quorumText(verdict: { epoch: number; validatorCount: number; quorum: number }): string {
  return `${verdict.validatorCount === 1 ? 'the one validator' : `${verdict.quorum} of ${verdict.validatorCount} validators`}${verdict.epoch === 0 ? '' : ` (the set of epoch ${verdict.epoch}, reached from genesis through ${verdict.epoch === 1 ? 'one certified change' : `${verdict.epoch} certified changes`})`}`;
}

function verifiedMessage(result: Verification): string {
  if (result.kind === 'state') {
    const verdict = result.verdict as Extract<StateProofVerdict, { ok: true }>;
    const what = verdict.present ? `${verdict.key} holds the value in the proof` : `${verdict.key} is absent`;
    return `${what} as of height ${verdict.height}, under the state root the header of block ${verdict.checkpointHeight} states, certified by a quorum of ${quorumText(verdict)}.`;
  }
  const verdict = result.verdict as Extract<ProofVerdict, { ok: true }>;
  return `Transaction ${shortHash(verdict.txId)} is entry ${verdict.position} of block ${verdict.height} with result “${verdict.result.status}”, in the ledger of ${verdict.logSize} entries certified at height ${verdict.checkpointHeight} by a quorum of ${quorumText(verdict)}.`;
}

/** The verdict as the auditor reads it: the outcome, then each check and where it stopped. */
export function verdictView(result: Verification): HTMLElement {
  const verdict = result.verdict;
  const stepList: ReadonlyArray<{ step: string; label: string }> = result.kind === 'state' ? STATE_PROOF_STEPS : PROOF_STEPS;
  const failedAt = verdict.ok ? -1 : stepList.findIndex((entry) => entry.step === verdict.step);
  const steps = element('ol', { class: 'steps', 'data-testid': 'verify-steps' });
  stepList.forEach((entry, index) => {
    const state = verdict.ok || index < failedAt ? 'passed' : index === failedAt ? 'failed' : 'skipped';
    const item = element('li', { 'data-state': state, 'data-step': entry.step }, element('span', {}, entry.label));
    steps.append(item);
  });
  const headline = verdict.ok
    ? element(
        'div',
        { class: 'verdict', 'data-verdict': 'verified', 'data-testid': 'verdict', ...(result.kind === 'state' && result.verdict.ok ? { 'data-present': String(result.verdict.present), 'data-height': String(result.verdict.height) } : {}) },
        element('div', { class: 'verdict-icon', 'aria-hidden': 'true' }, '✓'),
        element(
          'div',
          {},
          element('div', { class: 'verdict-title' }, 'Verified'),
          element('div', { class: 'verdict-message' }, verifiedMessage(result)),
        ),
      )
    : element(
        'div',
        { class: 'verdict', 'data-verdict': 'failed', 'data-testid': 'verdict', 'data-step': verdict.step },
        element('div', { class: 'verdict-icon', 'aria-hidden': 'true' }, '✗'),
        element(
          'div',
          {},
          element('div', { class: 'verdict-title' }, `Failed at the “${verdict.step}” check`),
          element('div', { class: 'verdict-message', 'data-testid': 'verdict-reason' }, verdict.message),
        ),
      );
  return element('div', {}, headline, steps);
}

/** Which keys the verdict rests on, and the way to trust another copy of genesis. */
export function trustAnchorView(trusted: TrustAnchor | undefined, onChange: () => void, problem?: string): HTMLElement {
  const fileInput = element('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'Load a genesis file' });
  const status = element('div', { class: 'verdict-message' });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file === undefined) return;
    useGenesisFile(file).then(onChange, (error: unknown) => {
      status.textContent = (error as Error).message;
    });
  });
  const loadButton = element('label', { class: 'button file-label' }, 'Load genesis.json…', fileInput);
  const actions = element('div', { class: 'actions' }, loadButton);
  if (trusted?.source === 'file') {
    const reset = element('button', { type: 'button', class: 'button' }, "Use the node's genesis");
    reset.addEventListener('click', () => {
      useNodeGenesis();
      onChange();
    });
    actions.append(reset);
  }
  const details =
    trusted === undefined
      ? element('p', { class: 'empty' }, problem === undefined ? 'No genesis loaded yet.' : `No trust anchor: ${problem}.`)
      : facts([
          ['Trust anchor', element('span', {}, `${trusted.source === 'file' ? trusted.label : 'genesis served by this node'} `, badge(trusted.source === 'file' ? 'your file' : 'from the node', trusted.source === 'file' ? 'good' : 'warn'))],
          ['Chain', element('span', { class: 'mono' }, trusted.genesis.chainId)],
          ['Genesis hash', element('span', { class: 'mono', 'data-testid': 'genesis-hash' }, trusted.hash)],
          ['Genesis validators', `${trusted.validators.size} (a quorum is ${trusted.validators.quorum}); later sets are followed through each proof's certified hand-overs`],
        ]);
  return element(
    'div',
    { class: 'trust-anchor' },
    details,
    trusted?.source === 'node'
      ? element('p', {}, 'Compare this genesis hash with the one your consortium published, or load your own copy of genesis.json: a node could serve keys of its choosing.')
      : null,
    actions,
    status,
  );
}

/**
 * Names and roles of the consortium's founding participants, from the genesis (the history of an
 * item names only the parties to its events). Empty when no genesis is at hand: the UI then
 * shows participant ids.
 */
export async function genesisDirectory(): Promise<Record<string, { name: string; roles: string[] }>> {
  let trusted: TrustAnchor;
  try {
    trusted = await trustAnchor();
  } catch {
    return {};
  }
  const directory: Record<string, { name: string; roles: string[] }> = {};
  const consortium = trusted.genesis.consortium;
  const participants = typeof consortium === 'object' && consortium !== null && !Array.isArray(consortium) ? consortium['participants'] : undefined;
  if (!Array.isArray(participants)) return directory;
  for (const participant of participants) {
    if (typeof participant !== 'object' || participant === null || Array.isArray(participant)) continue;
    const { id, name, roles } = participant;
    if (typeof id !== 'string' || typeof name !== 'string') continue;
    directory[id] = { name, roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [] };
  }
  return directory;
}
