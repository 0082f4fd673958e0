/**
 * A Byzantine leader that proposes transaction references no one holds (docs/consensus.md,
 * "Payloads: references, not bodies"), against three honest validator processes on 127.0.0.1.
 * The test itself is validator-3: it stops that process and runs validator-3's own config, key,
 * data folder and peer port in this process (the real transport, handshake, driver, safety rules
 * and store), with one change: whenever it leads a round, its proposal names references to
 * transactions that exist nowhere (a made-up one, and a real transaction under forged
 * signatures), correctly signed and justified; and when asked for those bodies it answers with
 * lies (the forged transaction, an unnamed real one). Asserts: the honest validators ask it, and
 * then each other, for the bodies and refuse what it serves; none of them commits such a block;
 * and the chain keeps committing the transactions submitted meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CustodiaApiError } from '../../api/client.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { utf8 } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { transactionRootOfLeaves } from '../../ledger/model/block.js';
import { signTransaction, transactionId, type Transaction, type TransactionSigner } from '../../ledger/model/transaction.js';
import type { ProposalContext, ProposalContent } from '../../consensus/types.js';
import { loadConfig } from '../../node/config.js';
import { LedgerApplication } from '../../node/ledger-application.js';
import { silentLogger } from '../../node/logger.js';
import { encodeReferencePayload, referenceOf, TRANSACTION_REFERENCE_BYTES, type TransactionReference } from '../../node/payload.js';
import { TRANSACTION_BODIES_CHANNEL, TransactionBodies } from '../../node/transaction-bodies.js';
import { startValidator, type RunningValidator } from '../../node/validator.js';
import { CHAIN_ID, LocalNetwork } from './support/local-network.js';

const BYZANTINE = 3;
const HONEST = [0, 1, 2];

interface GhostProposal {
  round: number;
  height: number;
  txRoot: string;
  keys: Set<string>;
}

let network: LocalNetwork;
let byzantine: RunningValidator | undefined;
let farm: TransactionSigner;
const ghosts: GhostProposal[] = [];
/** Wants that reached the Byzantine validator for its own blocks: which honest validator asked, for which block. */
const ghostWants: Array<{ from: string; blockHash: string }> = [];
/** Real, validly signed transactions the Byzantine leader names under forged signatures; never submitted. */
const genuineIds: string[] = [];

function ghostReference(label: string): TransactionReference {
  const leaf = new Uint8Array(TRANSACTION_REFERENCE_BYTES);
  leaf.set(sha256(utf8(`byzantine id ${label}`)), 0);
  leaf.set(sha256(utf8(`byzantine signatures ${label}`)), 32);
  return { id: Buffer.from(leaf.subarray(0, 32)).toString('hex'), key: Buffer.from(leaf).toString('hex'), leaf };
}

function farmTransaction(note: string): Transaction {
  return signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [farm.participant], nonce: note, payload: { note } }, [farm]);
}

const forgedOf = (transaction: Transaction): Transaction => ({ ...transaction, signatures: [{ ...transaction.signatures[0]!, signature: '00'.repeat(64) }] });

async function blockAt(index: number, height: number): Promise<{ hash: string; header: { txRoot: string; proposer: string; round: number } }> {
  const response = await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${height}`);
  if (!response.ok) throw new Error(`validator-${index} has no block ${height}`);
  return (await response.json()) as { hash: string; header: { txRoot: string; proposer: string; round: number } };
}

beforeAll(async () => {
  network = await LocalNetwork.create(4);
  farm = await network.signer('farm');
  expect(await network.stop(BYZANTINE)).toBe(0);

  // Its proposals keep the honest ledger roots (so that nothing but the bodies is wrong) and name ghosts.
  const propose = LedgerApplication.prototype.propose;
  vi.spyOn(LedgerApplication.prototype, 'propose').mockImplementation(function (this: LedgerApplication, context: ProposalContext): ProposalContent | undefined {
    const content = propose.call(this, context);
    if (content === undefined || context.emptyOnly) return content;
    const genuine = farmTransaction(`byzantine-${context.round}`);
    genuineIds.push(transactionId(genuine.body));
    const references = [ghostReference(`${context.round}`), referenceOf(transactionId(genuine.body), forgedOf(genuine))];
    const txRoot = transactionRootOfLeaves(references.map((reference) => reference.leaf));
    ghosts.push({ round: context.round, height: context.height, txRoot, keys: new Set(references.map((reference) => reference.key)) });
    return { ...content, payload: encodeReferencePayload(references), txCount: references.length, txRoot };
  });
  // Asked for its ghosts' bodies, it lies; anything else it answers honestly.
  const answer = TransactionBodies.prototype.answer;
  vi.spyOn(TransactionBodies.prototype, 'answer').mockImplementation(async function (this: TransactionBodies, from: string, payload: JsonValue): Promise<void> {
    const want = payload as { blockHash?: unknown; references?: unknown };
    const references = Array.isArray(want.references) ? (want.references as unknown[]) : [];
    const ghost = ghosts.find((entry) => references.some((reference) => typeof reference === 'string' && entry.keys.has(reference)));
    if (ghost === undefined || typeof want.blockHash !== 'string') return answer.call(this, from, payload);
    ghostWants.push({ from, blockHash: want.blockHash });
    const genuine = farmTransaction(`byzantine-${ghost.round}`);
    const lies = [forgedOf(genuine), farmTransaction(`unnamed-${ghostWants.length}`)];
    byzantine?.transport.send(from, TRANSACTION_BODIES_CHANNEL, { blockHash: want.blockHash, transactions: lies } as unknown as JsonValue);
  });

  const loaded = await loadConfig(network.layout.configFiles[BYZANTINE]!);
  if (!loaded.ok) throw new Error(loaded.message);
  byzantine = await startValidator(loaded.config, { logger: silentLogger() });
}, 120_000);

afterAll(async () => {
  await byzantine?.stop();
  vi.restoreAllMocks();
  await network?.close();
});

describe('a Byzantine leader proposing references to transactions no one has', () => {
  it('gets none of its blocks committed: the honest validators ask for the bodies, refuse its lies, time its rounds out and keep committing', async () => {
    // It leads every fourth round: wait until it has proposed ghosts and every honest validator asked it for their bodies.
    await network.waitUntil(
      async () => ghosts.length >= 2 && HONEST.every((index) => ghostWants.some((want) => want.from === `validator-${index}`)),
      90_000,
      'ghost proposals from validator-3, and wants for their bodies from every honest validator',
    );

    // Transactions submitted meanwhile commit on every honest validator.
    const client = network.client(0);
    const submitted = await Promise.all(Array.from({ length: 6 }, () => client.submit(network.commissioningTransaction(client), { wait: true, timeoutMs: 60_000 })));
    expect(submitted.map((status) => status.status)).toEqual(submitted.map(() => 'committed'));
    for (const index of HONEST) {
      for (const status of submitted) expect((await network.client(index).status(status.id, { wait: true, timeoutMs: 30_000 })).status, `validator-${index}`).toBe('committed');
    }

    // Proposals it made later too: the chain passes the height of every ghost seen so far.
    const seen = [...ghosts];
    const beyond = Math.max(...seen.map((ghost) => ghost.height)) + 2;
    await network.waitUntil(async () => (await Promise.all(HONEST.map((index) => network.height(index)))).every((height) => height >= beyond), 60_000, `honest validators past height ${beyond}`);
    const ghostRoots = new Set(seen.map((ghost) => ghost.txRoot));
    const ghostHashes = new Set(ghostWants.map((want) => want.blockHash));
    for (const ghost of seen) {
      const blocks = await Promise.all(HONEST.map((index) => blockAt(index, ghost.height)));
      // One block at that height on every honest ledger, and not the ghost.
      expect(new Set(blocks.map((block) => block.hash)).size, `height ${ghost.height}`).toBe(1);
      for (const block of blocks) {
        expect(ghostHashes.has(block.hash)).toBe(false);
        expect(ghostRoots.has(block.header.txRoot)).toBe(false);
      }
    }
    // The named transactions never committed anywhere (nor did the forged copies, which share their ids).
    for (const index of HONEST) {
      for (const id of genuineIds.slice(0, 3)) {
        const status = await network.client(index).status(id).then(
          (found) => found.status,
          (error: unknown) => (error instanceof CustodiaApiError ? error.error.status : error),
        );
        expect(status, `validator-${index}: ${id}`).toBe(404);
      }
    }

    for (const index of HONEST) {
      // It asked (validator-3 first, then its other peers in turn), and refused the forged body and the unnamed one.
      expect(await network.metric(index, 'custodia_transaction_bodies_wanted_total'), `validator-${index} wants`).toBeGreaterThanOrEqual(1);
      expect(await network.metric(index, 'custodia_messages_rejected_total{reason="bodies-invalid-transaction"}'), `validator-${index} forged bodies refused`).toBeGreaterThanOrEqual(1);
      expect(await network.metric(index, 'custodia_messages_rejected_total{reason="bodies-unwanted-transaction"}'), `validator-${index} unnamed bodies refused`).toBeGreaterThanOrEqual(1);
      // Its rounds ended in timeouts, not in certificates.
      expect(await network.metric(index, 'custodia_timeouts_sent_total'), `validator-${index} timeouts`).toBeGreaterThanOrEqual(1);
      expect(network.processes[index]?.exitCode, `validator-${index} exited`).toBeNull();
    }
  }, 240_000);
});
