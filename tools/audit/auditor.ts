/**
 * The auditor that watches (docs/transparency.md, "Running a monitor"): run once or
 * continuously by `custodia audit`, it
 *
 * 1. fetches the C2SP checkpoint each given validator serves and verifies it under the chain's
 *    k-of-n policy (a quorum of the validators' note signatures);
 * 2. compares the heads: two checkpoints of one size must have one root, and a smaller one must
 *    be proven (RFC 9162 consistency, built from the larger node's tiles) to be a prefix of the
 *    larger — otherwise validators serve different logs (`split-view`);
 * 3. proves the newest checkpoint extends the last one it verified, kept in its state folder
 *    (`fork`; `rollback` when every node serves less than that);
 * 4. checks the new entries (all, or a random sample) and a sample of those it checked before:
 *    each entry bundle's bytes hash, through an inclusion proof built from the tiles, into the
 *    signed root (`rewritten-entry` otherwise), and the block the entry names is certified by a
 *    quorum and carries that transaction with that result (`bad-block`).
 *
 * Only when everything holds is the new checkpoint written (durably) as the last verified one.
 * Alarms are values; the caller logs them, posts them to a webhook and sets the exit code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fromBase64, toBase64 } from '../../ledger/encoding/base64.js';
import { equalBytes } from '../../ledger/encoding/hex.js';
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { verifyQuorumCertificate } from '../../ledger/model/certificate.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { buildConsistencyProof, buildInclusionProof, leafHash, nodesForConsistencyProof, nodesForInclusionProof, verifyConsistency, verifyInclusion } from '../../ledger/merkle/index.js';
import { verifyCheckpoint, type Checkpoint, type CheckpointPolicy } from '../../ledger/tlog/checkpoint.js';
import { NOTE_LIMITS } from '../../ledger/tlog/note.js';
import type { Epoch } from '../../ledger/model/epoch.js';
import { policyFromGenesisAndKeys } from '../../ledger/tlog/policy.js';
import { epochOfHeight } from '../../ledger/verify/epoch-changes.js';
import { ledgerEntryOfLeaf } from '../../ledger/tlog/tlog-proof.js';
import { bodyText, boundedFetch } from '../../node/tlog/bounded-fetch.js';
import { writeFileDurably } from '../durable-file.js';
import { TileClient } from './tile-client.js';
import { fetchKeysDocument } from '../keys-document.js';

export const AUDIT_LIMITS = {
  requestTimeoutMs: 10_000,
  blockBytesMax: 32 * 1024 * 1024,
  /** Nodes one audit compares. */
  nodesMax: 32,
  /** Entries checked in one run with --all; the rest wait for the next run. */
  entriesPerRunMax: 100_000,
} as const;

export const STATE_FILE = 'last-checkpoint.json';

export type AlarmKind = 'bad-checkpoint' | 'split-view' | 'fork' | 'rollback' | 'rewritten-entry' | 'bad-block' | 'unreachable';

export interface Alarm {
  kind: AlarmKind;
  node: string;
  message: string;
}

export interface AuditOptions {
  nodes: readonly string[];
  chainId: string;
  /** The genesis validator set, the trust anchor: later sets are reached through each node's verified hand-overs (GET /tlog/keys). */
  validators: ValidatorSet;
  /** A fixed policy instead (a keys document the operator holds): then no hand-overs are followed. */
  policy?: CheckpointPolicy;
  stateDirectory: string;
  /** 'all', or how many new entries to check at random (the newest is always among them). */
  sample: number | 'all';
  /**
   * Entries verified in earlier rounds to check again, at random ('all': every one): a store
   * rewritten under a running validator changes entries the monitor has already passed.
   */
  recheck?: number | 'all';
  random?: () => number;
}

export type AuditResult =
  | { ok: true; checkpoint: Checkpoint; previousSize: number; entriesChecked: number; entriesRechecked: number; warnings: string[] }
  | { ok: false; alarms: Alarm[]; warnings: string[] };

const stateSchema = z.strictObject({ origin: z.string(), size: z.number().int().min(0), rootHash: z.string(), checkpoint: z.string(), node: z.string(), verifiedAt: z.string() });
type AuditState = z.infer<typeof stateSchema>;

interface Served {
  node: string;
  checkpoint: Checkpoint;
  note: string;
  /** The validator-set epochs from the genesis one, as verified from the node's hand-overs; absent under a fixed policy. */
  epochs: Epoch[] | undefined;
}

/** The checkpoint one node serves, verified: under the fixed policy, or under the set its verified hand-overs lead to from the genesis set. */
async function servedBy(node: string, options: AuditOptions): Promise<Served | Alarm | string> {
  const base = node.replace(/\/+$/, '');
  const answer = await boundedFetch(`${base}/tlog/checkpoint`, { timeoutMs: AUDIT_LIMITS.requestTimeoutMs, bytesMax: NOTE_LIMITS.noteBytesMax });
  if (!answer.ok || answer.status !== 200) return `${node}: no checkpoint (${answer.ok ? `status ${answer.status}` : answer.message})`;
  let policy = options.policy;
  let epochs: Epoch[] | undefined;
  if (policy === undefined) {
    const keys = await fetchKeysDocument(base);
    if (!keys.ok) return `${node}: no keys (${keys.message})`;
    const followed = policyFromGenesisAndKeys(keys.document, options.chainId, options.validators);
    if (!followed.ok) return { kind: 'bad-checkpoint', node, message: followed.message };
    policy = followed.policy;
    epochs = followed.epochs;
  }
  const note = bodyText(answer.body);
  const verified = verifyCheckpoint(note, policy);
  if (!verified.ok) return { kind: 'bad-checkpoint', node, message: `the checkpoint does not verify: ${verified.code}: ${verified.message}` };
  return { node, checkpoint: verified.checkpoint, note, epochs };
}

async function readState(directory: string): Promise<AuditState | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return stateSchema.parse(JSON.parse(text));
}

/** Whether the tree of `small` is a prefix of the tree of `large`, proven from the tiles of a node serving `large`. */
async function consistent(small: Checkpoint, large: Checkpoint, tiles: TileClient): Promise<string | undefined> {
  if (small.size === large.size) return equalBytes(small.rootHash, large.rootHash) ? undefined : `two roots for size ${small.size}`;
  if (small.size === 0) return undefined;
  try {
    await tiles.prepare(nodesForConsistencyProof(small.size, large.size));
    const proof = buildConsistencyProof(small.size, large.size, tiles.lookup);
    const verdict = verifyConsistency(small.size, large.size, small.rootHash, large.rootHash, proof);
    return verdict.ok ? undefined : `the tree of ${large.size} does not extend the tree of ${small.size}: ${verdict.reason}`;
  } catch (error) {
    return `no consistency proof from ${small.size} to ${large.size} can be built from the tiles: ${(error as Error).message}`;
  }
}

function sampleIndices(start: number, end: number, sample: number | 'all', random: () => number): number[] {
  const count = end - start;
  if (count <= 0) return [];
  if (sample === 'all' || sample >= count) return Array.from({ length: Math.min(count, AUDIT_LIMITS.entriesPerRunMax) }, (_, offset) => start + offset);
  const chosen = new Set<number>([end - 1]);
  while (chosen.size < Math.max(1, sample)) chosen.add(start + Math.floor(random() * count));
  return [...chosen].sort((left, right) => left - right);
}

const blockAnswerSchema = z.object({
  height: z.number().int(),
  hash: z.string(),
  header: z.unknown(),
  certificate: z.unknown(),
  transactions: z.array(z.object({ id: z.string(), result: z.unknown() })),
});

export async function auditOnce(options: AuditOptions): Promise<AuditResult> {
  const alarms: Alarm[] = [];
  const warnings: string[] = [];
  const served: Served[] = [];
  for (const node of options.nodes.slice(0, AUDIT_LIMITS.nodesMax)) {
    const result = await servedBy(node, options);
    if (typeof result === 'string') warnings.push(result);
    else if ('kind' in result) alarms.push(result);
    else served.push(result);
  }
  if (served.length === 0 && alarms.length === 0) alarms.push({ kind: 'unreachable', node: options.nodes.join(','), message: `no node served a checkpoint: ${warnings.join('; ')}` });
  if (alarms.length > 0) return { ok: false, alarms, warnings };

  served.sort((left, right) => right.checkpoint.size - left.checkpoint.size);
  const head = served[0]!;
  const tiles = new TileClient(head.node, head.checkpoint.size);
  for (const other of served.slice(1)) {
    const problem = await consistent(other.checkpoint, head.checkpoint, tiles);
    if (problem !== undefined) alarms.push({ kind: 'split-view', node: other.node, message: `${other.node} serves size ${other.checkpoint.size} root ${toBase64(other.checkpoint.rootHash)}, ${head.node} size ${head.checkpoint.size} root ${toBase64(head.checkpoint.rootHash)}: ${problem}` });
  }

  const state = await readState(options.stateDirectory);
  let previousSize = 0;
  if (state !== undefined) {
    if (state.origin !== head.checkpoint.origin) throw new Error(`the audit state in ${options.stateDirectory} is for ${state.origin}, not ${head.checkpoint.origin}`);
    const last: Checkpoint = { origin: state.origin, size: state.size, rootHash: fromBase64(state.rootHash)! };
    previousSize = last.size;
    if (last.size > head.checkpoint.size) {
      alarms.push({ kind: 'rollback', node: head.node, message: `the largest checkpoint served has size ${head.checkpoint.size}, below the ${last.size} verified before` });
    } else {
      const problem = await consistent(last, head.checkpoint, tiles);
      if (problem !== undefined) alarms.push({ kind: 'fork', node: head.node, message: `the checkpoint of size ${head.checkpoint.size} does not extend the one verified before (size ${last.size}): ${problem}` });
    }
  }
  if (alarms.length > 0) return { ok: false, alarms, warnings };

  const random = options.random ?? Math.random;
  const fresh = sampleIndices(previousSize, head.checkpoint.size, options.sample, random);
  const again = options.recheck === undefined || options.recheck === 0 ? [] : sampleIndices(0, previousSize, options.recheck, random);
  const indices = [...new Set([...again, ...fresh])].sort((left, right) => left - right);
  if (head.epochs === undefined && indices.length > 0) warnings.push('under a fixed keys document, block certificates are checked only while they verify under the genesis keys');
  const entryAlarms = await checkEntries(head, tiles, indices, options);
  if (entryAlarms.length > 0) return { ok: false, alarms: entryAlarms, warnings };

  await writeFileDurably(
    join(options.stateDirectory, STATE_FILE),
    JSON.stringify({ origin: head.checkpoint.origin, size: head.checkpoint.size, rootHash: toBase64(head.checkpoint.rootHash), checkpoint: head.note, node: head.node, verifiedAt: new Date().toISOString() } satisfies AuditState, null, 2),
  );
  return { ok: true, checkpoint: head.checkpoint, previousSize, entriesChecked: fresh.length, entriesRechecked: again.length, warnings };
}

async function checkEntries(head: Served, tiles: TileClient, indices: readonly number[], options: AuditOptions): Promise<Alarm[]> {
  const alarms: Alarm[] = [];
  const blocks = new Map<number, z.infer<typeof blockAnswerSchema> | undefined>();
  const size = head.checkpoint.size;
  // Entries come bundle by bundle; a run reads each bundle it samples from once.
  const byBundle = new Map<number, number[]>();
  for (const index of indices) byBundle.set(Math.floor(index / 256), [...(byBundle.get(Math.floor(index / 256)) ?? []), index]);
  for (const [bundle, members] of byBundle) {
    let entries: Uint8Array[];
    try {
      entries = await tiles.entries(bundle * 256, Math.min(size, bundle * 256 + 256));
      await tiles.prepare(members.flatMap((index) => nodesForInclusionProof(index, size)));
    } catch (error) {
      alarms.push({ kind: 'rewritten-entry', node: head.node, message: `entries of bundle ${bundle} cannot be checked: ${(error as Error).message}` });
      continue;
    }
    for (const index of members) {
      const leaf = entries[index - bundle * 256]!;
      const included = verifyInclusion(leafHash(leaf), index, size, buildInclusionProof(index, size, tiles.lookup), head.checkpoint.rootHash);
      if (!included.ok) {
        alarms.push({ kind: 'rewritten-entry', node: head.node, message: `entry ${index} as served does not hash into the signed root of size ${size}: ${included.reason}` });
        continue;
      }
      const entry = ledgerEntryOfLeaf(leaf) as { height?: unknown; position?: unknown; txId?: unknown; result?: unknown } | undefined;
      if (entry === undefined || typeof entry.height !== 'number' || typeof entry.position !== 'number' || typeof entry.txId !== 'string') {
        alarms.push({ kind: 'rewritten-entry', node: head.node, message: `entry ${index} is not a canonical ledger entry` });
        continue;
      }
      const problem = await checkBlock(head.node, entry.height, entry.position, entry.txId, entry.result, blocks, head.epochs, options);
      if (problem !== undefined) alarms.push({ kind: 'bad-block', node: head.node, message: `entry ${index}: ${problem}` });
    }
  }
  return alarms;
}

async function checkBlock(
  node: string,
  height: number,
  position: number,
  txId: string,
  result: unknown,
  cache: Map<number, z.infer<typeof blockAnswerSchema> | undefined>,
  epochs: readonly Epoch[] | undefined,
  options: AuditOptions,
): Promise<string | undefined> {
  if (!cache.has(height)) {
    const answer = await boundedFetch(`${node.replace(/\/+$/, '')}/v1/blocks/${height}`, { timeoutMs: AUDIT_LIMITS.requestTimeoutMs, bytesMax: AUDIT_LIMITS.blockBytesMax });
    if (!answer.ok || answer.status !== 200) return `block ${height} cannot be read (${answer.ok ? `status ${answer.status}` : answer.message})`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText(answer.body));
    } catch {
      return `block ${height} is not JSON`;
    }
    const block = blockAnswerSchema.safeParse(parsed);
    cache.set(height, block.success ? block.data : undefined);
  }
  const block = cache.get(height);
  if (block === undefined) return `block ${height} is not a block`;
  const transaction = block.transactions[position];
  if (transaction === undefined || transaction.id !== txId) return `block ${height} has no transaction ${txId} at position ${position}`;
  if (canonicalize(transaction.result) !== canonicalize(result)) return `block ${height} records another result for ${txId}`;
  const header = block.header as BlockHeader;
  let hash: string;
  try {
    hash = blockHash(header);
  } catch {
    return `block ${height}'s header cannot be hashed`;
  }
  const vote = (block.certificate as { vote?: { blockHash?: unknown; height?: unknown } } | null)?.vote;
  if (vote?.blockHash !== hash || vote.height !== height) return `block ${height}'s certificate is not on its header`;
  // The certificate is checked under the set of the block's epoch, reached from the genesis set through verified hand-overs.
  if (epochs === undefined) {
    const genesisVerdict = verifyQuorumCertificate(block.certificate, options.validators, options.chainId);
    return genesisVerdict.ok || genesisVerdict.code === 'unknown-validator' ? undefined : `block ${height}'s certificate fails under the genesis validators: ${genesisVerdict.code}: ${genesisVerdict.message}`;
  }
  const epoch = epochOfHeight(epochs, height);
  const verdict = verifyQuorumCertificate(block.certificate, epoch.validators, options.chainId, epoch.number);
  return verdict.ok ? undefined : `block ${height}'s certificate fails under the validators of epoch ${epoch.number}: ${verdict.code}: ${verdict.message}`;
}
