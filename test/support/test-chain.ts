/**
 * Builds valid committed chains for tests: deterministic validator and participant keys,
 * a genesis, signed transactions, and blocks with correct roots and quorum certificates.
 * It uses the ledger's own encoders; those are pinned separately by vectors.
 */
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { keyPairFromSeed, type KeyPair } from '../../ledger/crypto/ed25519.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { blockHash, transactionRoot, type Block, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, type QuorumCertificate } from '../../ledger/model/certificate.js';
import { genesisHash, loadGenesis, type Genesis } from '../../ledger/model/genesis.js';
import { ledgerEntryLeafHash } from '../../ledger/model/ledger-entry.js';
import { ACCEPTED, type TransactionResult } from '../../ledger/model/result.js';
import { INITIAL_STATE_PARENT, nextStateRoot, type StateWrite } from '../../ledger/model/state.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { EMPTY_ROOT, MerkleFrontier } from '../../ledger/merkle/index.js';
import type { BlockCommit } from '../../ledger/store/block-store.js';
import type { IndexedEvent } from '../../ledger/store/records.js';
import type { LedgerState } from '../../ledger/verify/block-checks.js';

export function seedFor(name: string): Uint8Array {
  return sha256(utf8(`custodia test seed ${name}`));
}

export function testKey(name: string): KeyPair {
  return keyPairFromSeed(seedFor(name));
}

export interface BlockOptions {
  results?: TransactionResult[];
  writes?: StateWrite[];
  events?: IndexedEvent[];
  /** How far the header's ledger roots lag the parent (0: the parent's own state). */
  ledgerLag?: number;
  round?: number;
  /** Validators that sign the certificate (default: a quorum, the first n - f). */
  signers?: number[];
}

export class TestChain {
  readonly chainId: string;
  readonly validatorKeys: KeyPair[];
  readonly genesis: Genesis;
  readonly genesisHash: string;
  readonly validators: ValidatorSet;
  readonly genesisWrites: StateWrite[];
  private readonly states: LedgerState[] = [];
  private readonly frontier = MerkleFrontier.empty();
  private nonce = 0;
  private lastRound = 0;

  constructor(options: { validators?: number; chainId?: string; genesisWrites?: StateWrite[] } = {}) {
    this.chainId = options.chainId ?? 'custodia-test';
    const count = options.validators ?? 4;
    this.validatorKeys = Array.from({ length: count }, (_, index) => testKey(`${this.chainId} validator ${index}`));
    this.genesis = {
      chainId: this.chainId,
      genesisTime: 1_767_225_600_000,
      validators: this.validatorKeys.map((key, index) => ({ id: `validator-${index}`, publicKey: toHex(key.publicKey) })),
      consortium: {},
    };
    const loaded = loadGenesis(this.genesis);
    if (!loaded.ok) throw new Error(loaded.message);
    this.validators = loaded.validators;
    this.genesisHash = genesisHash(this.genesis);
    this.genesisWrites = options.genesisWrites ?? [];
    this.states.push({
      height: 0,
      blockHash: this.genesisHash,
      logSize: 0,
      logRoot: toHex(EMPTY_ROOT),
      stateRoot: nextStateRoot(INITIAL_STATE_PARENT, this.genesisWrites),
      headerLedgerHeight: 0,
    });
  }

  get head(): LedgerState {
    return this.states[this.states.length - 1]!;
  }

  state(height: number): LedgerState {
    return this.states[height]!;
  }

  transaction(payload: JsonValue, signerNames: string[] = ['urn:epc:id:pgln:0614141.00001'], type = 'test.note'): Transaction {
    const body = { chainId: this.chainId, type, signers: signerNames, nonce: `n-${this.nonce++}`, payload };
    return signTransaction(
      body,
      signerNames.map((participant) => ({ participant, ...keyFor(participant) })),
    );
  }

  certificate(header: BlockHeader, signers?: number[]): QuorumCertificate {
    const vote = { blockHash: blockHash(header), height: header.height, round: header.round };
    const indices = signers ?? Array.from({ length: this.validators.quorum }, (_, index) => index);
    return {
      vote,
      signatures: indices.map((index) => ({
        validator: `validator-${index}`,
        signature: toHex(signVote(this.chainId, this.validatorKeys[index]!.seed, vote)),
      })),
    };
  }

  /** The next block on this chain, recorded as committed so later blocks follow it. */
  nextBlock(transactions: Transaction[], options: BlockOptions = {}): BlockCommit {
    const previous = this.head;
    const height = previous.height + 1;
    const ledgerHeight = Math.max(previous.headerLedgerHeight, previous.height - (options.ledgerLag ?? 0));
    const atLedgerHeight = this.states[ledgerHeight]!;
    const transactionIds = transactions.map((transaction) => transactionId(transaction.body));
    const round = options.round ?? this.lastRound + 1;
    this.lastRound = round;
    const header: BlockHeader = {
      chainId: this.chainId,
      height,
      round,
      prevHash: previous.blockHash,
      proposer: `validator-${round % this.validators.size}`,
      timestamp: this.genesis.genesisTime + height * 1000,
      txCount: transactions.length,
      txRoot: transactionRoot(transactions, transactionIds),
      ledgerHeight,
      logSize: atLedgerHeight.logSize,
      logRoot: atLedgerHeight.logRoot,
      stateRoot: atLedgerHeight.stateRoot,
    };
    const block: Block = { header, transactions };
    const results = options.results ?? transactions.map(() => ACCEPTED);
    const writes = options.writes ?? [];
    for (const [position, txId] of transactionIds.entries()) {
      this.frontier.append(ledgerEntryLeafHash({ height, position, txId, result: results[position]! }));
    }
    this.states.push({
      height,
      blockHash: blockHash(header),
      logSize: this.frontier.size,
      logRoot: toHex(this.frontier.root()),
      stateRoot: nextStateRoot(previous.stateRoot, writes),
      headerLedgerHeight: ledgerHeight,
    });
    return { block, certificate: this.certificate(header, options.signers), results, writes, events: options.events ?? [] };
  }
}

export function keyFor(participant: string): { publicKey: Uint8Array; seed: Uint8Array } {
  const key = testKey(`participant ${participant}`);
  return { publicKey: key.publicKey, seed: key.seed };
}
