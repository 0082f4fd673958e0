/**
 * Proposals that carry transaction references, checked by real LedgerApplications over real
 * block stores in temporary folders, wired to each other by an in-memory peer link (the
 * tx.want / tx.bodies channels of node/transaction-bodies.ts). Covers: a proposal whose bodies
 * are all in the mempool is accepted without asking anyone; one that lacks some answers
 * 'missing-transactions', asks the proposer for exactly those, and is accepted once they arrive
 * (and after a restart, from the bodies persisted with it); a Byzantine leader's references that
 * no one holds, or that it serves forged, never get 'accept', and its want is dropped once the
 * height is executed; reference payloads of the wrong length or that miss the txRoot are
 * 'reject'ed without a want; a fetched body is held to admission like any other; a committed
 * block whose bodies are missing is executed once they are fetched from a peer's ledger.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { utf8 } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { blockHash, transactionRootOfLeaves, type BlockHeader } from '../../ledger/model/block.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { genesisWrites } from '../../contracts/participants.js';
import type { CommittedBlock } from '../../consensus/messages.js';
import { LedgerApplication } from '../../node/ledger-application.js';
import { silentLogger } from '../../node/logger.js';
import { Mempool } from '../../node/mempool.js';
import { encodeReferencePayload, referenceOf, TRANSACTION_REFERENCE_BYTES, type TransactionReference } from '../../node/payload.js';
import { TRANSACTION_BODIES_CHANNEL, TRANSACTION_WANT_CHANNEL, type BodyRefusal } from '../../node/transaction-bodies.js';
import { CHAIN_ID, PARTIES, testConsortium } from '../contracts/support/harness.js';
import { keyFor, TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const temporaryDirectory = temporaryDirectories('reference-proposals');
const consortium = testConsortium();
const PEERS = ['validator-0', 'validator-1', 'validator-2', 'validator-3'];
const STRANGER = 'urn:epc:id:pgln:0999999.00001';

let serial = 0;
function signed(signer: string = PARTIES.farm.id, seedName: string = signer): Transaction {
  serial += 1;
  return signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [signer], nonce: `reference-${serial}`, payload: { note: `transaction ${serial}` } }, [
    { participant: signer, ...keyFor(seedName) },
  ]);
}
const referenceTo = (transaction: Transaction): TransactionReference => referenceOf(transactionId(transaction.body), transaction);
/** A reference to a transaction that exists nowhere: a made-up id and signatures digest. */
function ghostReference(label: string): TransactionReference {
  const leaf = new Uint8Array(TRANSACTION_REFERENCE_BYTES);
  leaf.set(sha256(utf8(`ghost id ${label}`)), 0);
  leaf.set(sha256(utf8(`ghost signatures ${label}`)), 32);
  return { id: Buffer.from(leaf.subarray(0, 32)).toString('hex'), key: Buffer.from(leaf).toString('hex'), leaf };
}

interface Frame {
  from: string;
  to: string;
  channel: string;
  payload: JsonValue;
}

/** The peer link: frames between named nodes, delivered at once (answers come back after the lookup's await). */
class Link {
  readonly frames: Frame[] = [];
  private readonly handlers = new Map<string, (from: string, channel: string, payload: JsonValue) => void>();

  attach(id: string, handler: (from: string, channel: string, payload: JsonValue) => void): void {
    this.handlers.set(id, handler);
  }

  send(from: string, to: string, channel: string, payload: JsonValue): void {
    // A copy, as the wire would make: nobody shares objects with a peer.
    const copy = JSON.parse(JSON.stringify(payload)) as JsonValue;
    this.frames.push({ from, to, channel, payload: copy });
    this.handlers.get(to)?.(from, channel, copy);
  }

  wants(from?: string): Frame[] {
    return this.frames.filter((frame) => frame.channel === TRANSACTION_WANT_CHANNEL && (from === undefined || frame.from === from));
  }
}

interface Node {
  id: string;
  store: BlockStore;
  mempool: Mempool;
  application: LedgerApplication;
  refused: BodyRefusal[];
  arrivals: { count: number };
  executed: Array<{ height: number; ids: readonly string[] }>;
  clock: { nowMs: number };
}

function newChain(): TestChain {
  return new TestChain({ chainId: CHAIN_ID, genesisWrites: genesisWrites(consortium) });
}

async function openStore(chain: TestChain): Promise<BlockStore> {
  const opened = await BlockStore.open({ directory: join(await temporaryDirectory(), 'ledger'), genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

/** A LedgerApplication as node/validator.ts builds it, reaching its peers through the link; answers and wants are wired as the transport's frames are. */
async function openNode(id: string, chain: TestChain, link: Link, options: { store?: BlockStore; mempool?: Mempool; onArrived?: () => void } = {}): Promise<Node> {
  const store = options.store ?? (await openStore(chain));
  const mempool = options.mempool ?? new Mempool();
  const refused: BodyRefusal[] = [];
  const arrivals = { count: 0 };
  const executed: Node['executed'] = [];
  const clock = { nowMs: 1_000_000 };
  const application = await LedgerApplication.open({
    store,
    mempool,
    logger: silentLogger(),
    blockTransactionsMax: 100,
    payloadBytesMax: 1024 * 1024,
    peers: { send: (to, channel, payload) => link.send(id, to, channel, payload), list: () => PEERS.filter((peer) => peer !== id) },
    onTransactionsArrived: () => {
      arrivals.count++;
      options.onArrived?.();
    },
    onBodyRefused: (reason) => {
      refused.push(reason);
    },
    now: () => clock.nowMs,
    onExecuted: ({ state, payload }) => {
      executed.push({ height: state.height, ids: payload.ids });
    },
  });
  link.attach(id, (from, channel, payload) => {
    if (channel === TRANSACTION_WANT_CHANNEL) void application.bodies.answer(from, payload);
    else if (channel === TRANSACTION_BODIES_CHANNEL) application.bodies.receiveAnswer(payload);
  });
  return { id, store, mempool, application, refused, arrivals, executed, clock };
}

function admit(node: Node, transactions: readonly Transaction[]): void {
  for (const transaction of transactions) {
    const admitted = node.mempool.admit(referenceTo(transaction), transaction, JSON.stringify(transaction).length, 0);
    expect(admitted.ok).toBe(true);
    node.application.bodies.offer(referenceTo(transaction));
  }
}

/** A proposal at height 1 on the genesis of `chain`, naming `references`, with header fields overridable. */
function proposal(chain: TestChain, references: readonly TransactionReference[], header: Partial<BlockHeader> = {}): { header: BlockHeader; payload: Uint8Array } {
  const genesis = chain.state(0);
  return {
    header: {
      chainId: CHAIN_ID,
      height: 1,
      round: 1,
      prevHash: genesis.blockHash,
      proposer: 'validator-1',
      timestamp: chain.genesis.genesisTime + 1000,
      txCount: references.length,
      txRoot: transactionRootOfLeaves(references.map((reference) => reference.leaf)),
      ledgerHeight: 0,
      logSize: genesis.logSize,
      logRoot: genesis.logRoot,
      stateRoot: genesis.stateRoot,
      ...header,
    },
    payload: encodeReferencePayload(references),
  };
}

/** Lets pending answers (an await inside each lookup) run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('a follower checking a proposal that carries references', () => {
  it('accepts it when every body is in its mempool, without asking anyone', async () => {
    const chain = newChain();
    const link = new Link();
    const node = await openNode('validator-2', chain, link);
    const transactions = [signed(), signed(), signed()];
    admit(node, transactions);
    const { header, payload } = proposal(chain, transactions.map(referenceTo));
    expect(node.application.checkPayload(header, payload)).toEqual({ ok: true });
    expect(node.application.checkProposal(header, payload)).toEqual({ verdict: 'accept' });
    expect(link.frames).toEqual([]);
    // An empty block is a one-byte payload and needs nothing either.
    const empty = proposal(chain, [], { round: 2 });
    expect(node.application.checkProposal(empty.header, empty.payload)).toEqual({ verdict: 'accept' });
    expect(link.frames).toEqual([]);
    await node.store.close();
  });

  it('answers missing-transactions for bodies it lacks, asks the proposer for exactly those, and accepts once they arrive', async () => {
    const chain = newChain();
    const link = new Link();
    const transactions = [signed(), signed(), signed()];
    const proposer = await openNode('validator-1', chain, link);
    admit(proposer, transactions);
    let recheck: (() => void) | undefined;
    const follower = await openNode('validator-2', chain, link, { onArrived: () => recheck?.() });
    // The follower got only the first one relayed.
    admit(follower, transactions.slice(0, 1));
    const { header, payload } = proposal(chain, transactions.map(referenceTo));
    const verdicts: string[] = [];
    recheck = () => verdicts.push(follower.application.checkProposal(header, payload).verdict);

    expect(follower.application.checkProposal(header, payload)).toEqual({ verdict: 'missing-transactions' });
    const [want] = link.wants('validator-2');
    expect(want).toMatchObject({ to: 'validator-1', payload: { blockHash: blockHash(header), height: 1, references: transactions.slice(1).map((transaction) => referenceTo(transaction).key) } });
    // The proposer answers from its mempool; the follower checks the bodies and says they arrived.
    await vi.waitFor(() => expect(follower.arrivals.count).toBe(1));
    expect(verdicts).toEqual(['accept']);
    expect(follower.refused).toEqual([]);
    expect(link.frames.filter((frame) => frame.channel === TRANSACTION_BODIES_CHANNEL)).toHaveLength(1);
    expect(follower.application.checkProposal(header, payload)).toEqual({ verdict: 'accept' });
    expect(link.wants('validator-2')).toHaveLength(1);

    // What it voted for is persisted with the block, and is enough after a restart with an empty mempool.
    const persisted = follower.application.bodiesToPersist(header, payload);
    expect(JSON.parse(persisted!)).toEqual(transactions);
    const restarted = await openNode('validator-2', chain, new Link(), { store: follower.store });
    restarted.application.restoreBodies([persisted!, 'not json', '{"not":"an array"}']);
    expect(restarted.application.checkProposal(header, payload)).toEqual({ verdict: 'accept' });
    await Promise.all([proposer.store.close(), follower.store.close()]);
  });

  it('refuses a fetched body by a never-registered signer, as it would a relayed one', async () => {
    const chain = newChain();
    const link = new Link();
    const byStranger = signed(STRANGER);
    const proposer = await openNode('validator-1', chain, link);
    // A Byzantine proposer's mempool would take anything: put it there by hand.
    admit(proposer, [byStranger]);
    const follower = await openNode('validator-2', chain, link);
    const { header, payload } = proposal(chain, [referenceTo(byStranger)]);
    expect(follower.application.checkProposal(header, payload)).toEqual({ verdict: 'missing-transactions' });
    await vi.waitFor(() => expect(follower.arrivals.count).toBe(1));
    expect(follower.application.checkProposal(header, payload)).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(/unknown-participant/) });
    await Promise.all([proposer.store.close(), follower.store.close()]);
  });

  it('rejects, without asking anyone, reference payloads of the wrong length or that do not match the txRoot', async () => {
    const chain = newChain();
    const link = new Link();
    const node = await openNode('validator-2', chain, link);
    const references = [signed(), signed()].map(referenceTo);
    const good = proposal(chain, references);
    const cases: Array<{ header: BlockHeader; payload: Uint8Array; reason: RegExp }> = [
      { header: { ...good.header, txCount: 3 }, payload: good.payload, reason: /need/ },
      { header: good.header, payload: encodeReferencePayload(references.slice(0, 1)), reason: /need/ },
      { header: good.header, payload: new Uint8Array([...good.payload, 0]), reason: /need/ },
      { header: good.header, payload: good.payload.slice(0, good.payload.length - 1), reason: /need/ },
      { header: good.header, payload: encodeReferencePayload([references[1]!, references[0]!]), reason: /txRoot/ },
      { header: good.header, payload: encodeReferencePayload([references[0]!, ghostReference('swap')]), reason: /txRoot/ },
      { header: { ...good.header, txRoot: proposal(chain, [ghostReference('other')]).header.txRoot }, payload: good.payload, reason: /txRoot/ },
    ];
    for (const [index, entry] of cases.entries()) {
      // Distinct headers, so that no verdict is served from a cache of another case.
      const header = { ...entry.header, round: 10 + index };
      expect(node.application.checkProposal(header, entry.payload)).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(entry.reason) });
      expect(node.application.checkPayload(header, entry.payload)).toMatchObject({ ok: false });
    }
    expect(link.frames).toEqual([]);
    expect(node.application.bodies.wantedBlocks).toBe(0);
    await node.store.close();
  });
});

describe('a Byzantine leader\'s references that no one holds', () => {
  it('never get accept, whatever the leader answers, while the follower asks the leader and then every other peer; the want ends once the height is executed', async () => {
    const chain = newChain();
    const link = new Link();
    const follower = await openNode('validator-2', chain, link);
    // Honest peers that never saw the transactions: they answer nothing.
    const honest = [await openNode('validator-0', chain, link), await openNode('validator-3', chain, link)];
    // A real transaction under forged signatures: the leader names exactly that, and serves it.
    const genuine = signed();
    const forged: Transaction = { ...genuine, signatures: [{ ...genuine.signatures[0]!, signature: '00'.repeat(64) }] };
    const references = [ghostReference('one'), referenceTo(forged), ghostReference('two')];
    let served = 0;
    link.attach('validator-1', (from, channel, payload) => {
      if (channel !== TRANSACTION_WANT_CHANNEL) return;
      const blockHashWanted = (payload as { blockHash: string }).blockHash;
      served++;
      // Each answer a different lie: the forged body, a real but unnamed one, garbage.
      const lies: JsonValue[] = [
        { blockHash: blockHashWanted, transactions: [forged] as unknown as JsonValue },
        { blockHash: blockHashWanted, transactions: [genuine, signed()] as unknown as JsonValue },
        { blockHash: blockHashWanted, transactions: [{ body: 'nothing' }, null, 7] },
        { blockHash: 12, transactions: 'none' },
      ];
      for (const lie of lies) link.send('validator-1', from, TRANSACTION_BODIES_CHANNEL, lie);
    });
    const { header, payload } = proposal(chain, references);
    const hash = blockHash(header);
    expect(follower.application.checkPayload(header, payload)).toEqual({ ok: true });
    const verdicts = new Set<string>();
    for (let retry = 0; retry < 8; retry++) {
      verdicts.add(follower.application.checkProposal(header, payload).verdict);
      await settle();
      follower.clock.nowMs += 500;
      follower.application.bodies.tick(follower.clock.nowMs);
      await settle();
    }
    verdicts.add(follower.application.checkProposal(header, payload).verdict);
    expect([...verdicts]).toEqual(['missing-transactions']);
    expect(follower.arrivals.count).toBe(0);
    const asked = link.wants('validator-2').map((frame) => frame.to);
    expect(asked[0]).toBe('validator-1');
    expect(new Set(asked)).toEqual(new Set(['validator-0', 'validator-1', 'validator-3']));
    expect(served).toBeGreaterThanOrEqual(2);
    expect(new Set(follower.refused)).toEqual(new Set(['invalid-transaction', 'unwanted-transaction', 'malformed-answer']));
    for (const reference of references) expect(follower.application.bodies.get(reference)).toBeUndefined();
    // The honest peers hold none of it and sent nothing.
    expect(link.frames.filter((frame) => frame.channel === TRANSACTION_BODIES_CHANNEL && frame.from !== 'validator-1')).toEqual([]);

    // The chain commits another block at that height: the want is moot and ends.
    expect(follower.application.bodies.isWanted(hash)).toBe(true);
    const honestBlock = chain.nextBlock([signed()]);
    admit(follower, honestBlock.block.transactions);
    follower.application.enqueueCommits([{ block: { header: honestBlock.block.header, payload: encodeReferencePayload(honestBlock.block.transactions.map(referenceTo)) }, certificate: honestBlock.certificate }]);
    await follower.application.drained();
    expect(follower.application.executedThrough()).toBe(1);
    expect(follower.application.bodies.isWanted(hash)).toBe(false);
    const frames = link.frames.length;
    follower.application.bodies.tick(follower.clock.nowMs + 10_000);
    expect(link.frames.length).toBe(frames);
    await Promise.all([follower.store.close(), ...honest.map((node) => node.store.close())]);
  });
});

describe('a committed block whose bodies this validator lacks', () => {
  /** Executes block 1 on a validator that holds its transactions, then restarts it: what it serves now comes from its ledger. */
  async function executedElsewhere(chain: TestChain, link: Link, transactions: Transaction[]) {
    const commit = chain.nextBlock(transactions);
    const committed: CommittedBlock = { block: { header: commit.block.header, payload: encodeReferencePayload(transactions.map(referenceTo)) }, certificate: commit.certificate };
    const voter = await openNode('validator-3', chain, new Link());
    admit(voter, transactions);
    voter.application.enqueueCommits([committed]);
    await voter.application.drained();
    expect(voter.mempool.size).toBe(0);
    const restarted = await openNode('validator-3', chain, link, { store: voter.store });
    return { committed, voter: restarted };
  }

  it('is executed once the bodies are fetched: from the proposer first, then from a peer that serves them from its ledger', async () => {
    const chain = newChain();
    const link = new Link();
    const transactions = [signed(), signed()];
    const { committed, voter } = await executedElsewhere(chain, link, transactions);
    // validator-1 proposed it and is down now (nothing answers for it); the follower has neither body.
    const follower = await openNode('validator-2', chain, link);
    follower.application.enqueueCommits([committed]);
    await vi.waitFor(() => expect(link.wants('validator-2').length).toBeGreaterThanOrEqual(1));
    expect(link.wants('validator-2')[0]).toMatchObject({ to: 'validator-1', payload: { blockHash: blockHash(committed.block.header), height: 1 } });
    await settle();
    expect(follower.application.executedThrough()).toBe(0);
    expect(follower.executed).toEqual([]);
    // The next retry goes to the next peer, validator-0 (not running either), then validator-3.
    for (let retry = 0; retry < 2 && follower.executed.length === 0; retry++) {
      follower.clock.nowMs += 500;
      follower.application.bodies.tick(follower.clock.nowMs);
      await settle();
    }
    await follower.application.drained();
    expect(link.wants('validator-2').map((frame) => frame.to).slice(0, 3)).toEqual(['validator-1', 'validator-0', 'validator-3']);
    expect(follower.executed).toEqual([{ height: 1, ids: transactions.map((transaction) => transactionId(transaction.body)) }]);
    // Executed identically: the same block and the same roots as the voter's ledger.
    expect(follower.store.head()).toEqual(voter.store.head());
    expect(follower.refused).toEqual([]);
    // Its fetched bodies were released after execution.
    for (const transaction of transactions) expect(follower.application.bodies.get(referenceTo(transaction))).toBeUndefined();
    await Promise.all([voter.store.close(), follower.store.close()]);
  });

  it('does not keep a stopping validator waiting on its peers', async () => {
    const chain = newChain();
    const link = new Link();
    const commit = chain.nextBlock([signed()]);
    const follower = await openNode('validator-2', chain, link);
    follower.application.enqueueCommits([{ block: { header: commit.block.header, payload: encodeReferencePayload(commit.block.transactions.map(referenceTo)) }, certificate: commit.certificate }]);
    await vi.waitFor(() => expect(link.wants('validator-2').length).toBeGreaterThanOrEqual(1));
    follower.application.stop();
    await follower.application.drained();
    expect(follower.application.executedThrough()).toBe(0);
    await follower.store.close();
  });
});

describe('a restarted validator checking a proposal from a peer whose ledger trails its own', () => {
  // Found by custodia chaos: two validators a block behind the other two proposed with their own
  // executed height; the two restarted ahead of them knew only their head's state and refused
  // every such proposal as "too old to check", while the trailing two could not vote on the
  // others' proposals until they executed: no quorum, for good.
  it('checks it against the stored state of that height, read back on open', async () => {
    const chain = newChain();
    const store = await openStore(chain);
    // Each block writes a key, so that each height's state root differs (an empty block keeps the state, and its root).
    for (let block = 0; block < 3; block++) expect((await store.appendBlock(chain.nextBlock([], { writes: [{ key: `h/${block}`, value: block }] }))).ok).toBe(true);
    const restarted = await openNode('validator-2', chain, new Link(), { store });
    const trailing = chain.state(2);
    const { header, payload } = proposal(chain, [], { height: 4, round: 4, prevHash: chain.state(3).blockHash, ledgerHeight: 2, logSize: trailing.logSize, logRoot: trailing.logRoot, stateRoot: trailing.stateRoot, timestamp: chain.genesis.genesisTime + 4000 });
    expect(restarted.application.checkProposal(header, payload)).toEqual({ verdict: 'accept' });
    // Roots that are not those of the stated height are still refused.
    const wrong = proposal(chain, [], { ...header, stateRoot: chain.state(3).stateRoot });
    expect(restarted.application.checkProposal(wrong.header, wrong.payload)).toMatchObject({ verdict: 'reject', reason: 'ledger roots differ at height 2' });
    await store.close();
  });
});
