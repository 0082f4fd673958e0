/// <reference lib="dom" />
/**
 * The auditor UI's watch on the log (docs/transparency.md, "The auditor UI"): the browser
 * fetches the node's C2SP checkpoint (GET /tlog/checkpoint), verifies it here under the k-of-n
 * policy of the validator set that signs now, reached from the genesis validators through the
 * hand-overs of GET /tlog/keys (ledger/tlog/, the same code `custodia audit` runs), and
 * compares it with the last checkpoint this browser verified, kept in localStorage: a larger one
 * must come with an RFC 9162 consistency proof (GET /v1/proofs/consistency) that verifies from
 * the stored root to the signed one; one of the same size must have the same root. Only then is
 * the new checkpoint kept. The node's word is never taken: its proof either verifies or the
 * page says the log does not extend what this browser saw.
 */
import { fromBase64, toBase64 } from '../../../ledger/encoding/base64.js';
import { fromHex, toHex } from '../../../ledger/encoding/hex.js';
import { verifyConsistency } from '../../../ledger/merkle/index.js';
import { verifyCheckpoint, type Checkpoint } from '../../../ledger/tlog/checkpoint.js';
import { policyFromGenesisAndKeys } from '../../../ledger/tlog/policy.js';
import { getJson, getText, query } from './api.js';
import { badge, card, facts, failureView, loading } from './components.js';
import { element } from './dom.js';
import { formatTime, shortHash } from './format.js';
import { trustAnchor } from './verification.js';

const STORAGE_PREFIX = 'custodia.tlog.checkpoint/';

interface Remembered {
  size: number;
  rootHash: string;
  verifiedAt: number;
}

export type LogWatch =
  | { state: 'first' | 'unchanged' | 'extends'; checkpoint: Checkpoint; signers: number; quorum: number; previous?: Remembered }
  | { state: 'behind'; checkpoint: Checkpoint; signers: number; quorum: number; previous: Remembered }
  | { state: 'fork'; checkpoint: Checkpoint; previous: Remembered; reason: string }
  | { state: 'invalid'; reason: string };

function remembered(origin: string): Remembered | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_PREFIX + origin) ?? 'null') as Partial<Remembered> | null;
    if (value === null || !Number.isSafeInteger(value.size) || typeof value.rootHash !== 'string' || fromBase64(value.rootHash)?.length !== 32) return undefined;
    return { size: value.size!, rootHash: value.rootHash, verifiedAt: Number(value.verifiedAt) || 0 };
  } catch {
    return undefined;
  }
}

function remember(checkpoint: Checkpoint): void {
  try {
    localStorage.setItem(STORAGE_PREFIX + checkpoint.origin, JSON.stringify({ size: checkpoint.size, rootHash: toBase64(checkpoint.rootHash), verifiedAt: Date.now() } satisfies Remembered));
  } catch {
    // Storage disabled: every visit is a first one.
  }
}

export async function watchLog(): Promise<LogWatch> {
  const anchor = await trustAnchor();
  // The set that signs now, reached from the genesis keys through the hand-overs the node serves, each verified here.
  const followed = policyFromGenesisAndKeys(await getJson<unknown>('/tlog/keys'), anchor.genesis.chainId, anchor.validators);
  if (!followed.ok) return { state: 'invalid', reason: followed.message };
  const { policy } = followed;
  const note = await getText('/tlog/checkpoint');
  const verified = verifyCheckpoint(note, policy);
  if (!verified.ok) return { state: 'invalid', reason: `${verified.code}: ${verified.message}` };
  const { checkpoint } = verified;
  const signed = { checkpoint, signers: verified.signers.length, quorum: policy.threshold };
  const previous = remembered(checkpoint.origin);
  if (previous === undefined) {
    remember(checkpoint);
    return { state: 'first', ...signed };
  }
  const previousRoot = fromBase64(previous.rootHash)!;
  if (previous.size > checkpoint.size) return { state: 'behind', ...signed, previous };
  if (previous.size === checkpoint.size) {
    if (toBase64(checkpoint.rootHash) !== previous.rootHash) return { state: 'fork', checkpoint, previous, reason: `the node signs another root for size ${checkpoint.size}` };
    return { state: 'unchanged', ...signed, previous };
  }
  if (previous.size > 0) {
    const proof = await getJson<{ path: string[] }>(`/v1/proofs/consistency${query({ from: previous.size, to: checkpoint.size })}`);
    const path = Array.isArray(proof.path) && proof.path.every((hash) => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) ? proof.path.map(fromHex) : [];
    const consistent = verifyConsistency(previous.size, checkpoint.size, previousRoot, checkpoint.rootHash, path);
    if (!consistent.ok) return { state: 'fork', checkpoint, previous, reason: `the consistency proof from size ${previous.size} does not verify: ${consistent.reason}` };
  }
  remember(checkpoint);
  return { state: 'extends', ...signed, previous };
}

const TITLES: Record<LogWatch['state'], string> = {
  first: 'First checkpoint verified in this browser',
  unchanged: 'Same checkpoint as this browser verified',
  extends: 'Extends the checkpoint this browser verified',
  behind: 'The node serves an older checkpoint than this browser verified',
  fork: 'Does NOT extend the checkpoint this browser verified',
  invalid: 'The checkpoint does not verify',
};

/** The card on the start page: the verdict, the checkpoint, and what this browser had verified. */
export function logWatchCard(): HTMLElement {
  const body = element('div', { class: 'card-body', 'data-testid': 'log-watch', 'data-state': 'loading' }, loading('Verifying the log’s checkpoint in this browser…'));
  const show = (watch: LogWatch) => {
    body.setAttribute('data-state', watch.state);
    const tone = watch.state === 'fork' || watch.state === 'invalid' ? 'bad' : watch.state === 'behind' ? 'warn' : 'good';
    const rows: Array<readonly [string, string]> = [];
    if (watch.state !== 'invalid') {
      rows.push(['Checkpoint', `size ${watch.checkpoint.size.toLocaleString()}, root ${shortHash(toHex(watch.checkpoint.rootHash))}`]);
      if ('signers' in watch) rows.push(['Signed by', `${watch.signers} validators (${watch.quorum} needed)`]);
      if (watch.previous !== undefined) rows.push(['Verified before', `size ${watch.previous.size.toLocaleString()}${watch.previous.verifiedAt > 0 ? `, ${formatTime(watch.previous.verifiedAt)}` : ''}`]);
    }
    body.replaceChildren(
      badge(TITLES[watch.state], tone, { 'data-testid': 'log-watch-verdict' }),
      ...(watch.state === 'fork' || watch.state === 'invalid' ? [element('p', {}, watch.reason)] : []),
      facts(rows),
    );
  };
  void watchLog().then(show, (error: unknown) => {
    body.setAttribute('data-state', 'error');
    body.replaceChildren(failureView(error));
  });
  return card({ title: 'Transparency log', hint: 'The validators’ signed checkpoint, checked here against the genesis keys and against the last one this browser verified', testId: 'log-watch-card' }, body);
}
