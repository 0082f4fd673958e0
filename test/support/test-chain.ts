/**
 * Builds valid committed chains for tests: deterministic validator and participant keys,
 * a genesis, signed transactions, and blocks with correct roots and quorum certificates.
 * A block can end a validator-set epoch (`nextValidators`, from `newValidators`): the blocks
 * after it are certified by the named set under the next epoch number, as the ledger requires.
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
import type { StateWrite } from '../../ledger/model/state.js';
import { MemoryStateTree } from '../../ledger/state-tree/index.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { ValidatorSet, type Validator } from '../../ledger/model/validator-set.js';
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
  /** Validators that sign the certificate, by index in the certifying set (default: a quorum, the first n - f). */
  signers?: number[];
  /** Ends the current epoch: the set that certifies the blocks after this one (keys from newValidators). */
  nextValidators?: Validator[];
  /** The epoch whose set signs the certificate (default: the epoch of the block's height). */
  certifiedBy?: number;
  /** The epoch number the signatures are made under (default: that of the certifying set). */
  signatureEpoch?: number;
}

/** A validator-set epoch of a test chain, with the keys of its members. */
export interface TestEpoch {
  number: number;
  startHeight: number;
  members: Validator[];
  keys: KeyPair[];
  validators: ValidatorSet;
}

export interface CertifyOptions {
  certifiedBy?: number | undefined;
  signatureEpoch?: number | undefined;
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
  /** The state after the head, whose root each block's ledger state records. */
  readonly stateTree = new MemoryStateTree();
  private readonly epochList: TestEpoch[] = [];
  private readonly keysByPublicKey = new Map<string, KeyPair>();
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
    for (const key of this.validatorKeys) this.keysByPublicKey.set(toHex(key.publicKey), key);
    this.epochList.push({ number: 0, startHeight: 1, members: this.genesis.validators, keys: this.validatorKeys, validators: this.validators });
    this.genesisHash = genesisHash(this.genesis);
    this.genesisWrites = options.genesisWrites ?? [];
    this.states.push({
      height: 0,
      blockHash: this.genesisHash,
      logSize: 0,
      logRoot: toHex(EMPTY_ROOT),
      stateRoot: this.stateTree.apply(this.genesisWrites),
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

  /** The epochs so far, oldest first; the last one certifies the next block. */
  get epochs(): readonly TestEpoch[] {
    return this.epochList;
  }

  get epoch(): TestEpoch {
    return this.epochList[this.epochList.length - 1]!;
  }

  /** The epoch that certifies `height`. */
  epochAt(height: number): TestEpoch {
    return [...this.epochList].reverse().find((epoch) => height >= epoch.startHeight) ?? this.epochList[0]!;
  }

  /** A new validator set with deterministic keys (ids `<label>-0`...), for `nextValidators`. */
  newValidators(label: string, count = 4): Validator[] {
    return Array.from({ length: count }, (_, index) => {
      const key = testKey(`${this.chainId} ${label} validator ${index}`);
      this.keysByPublicKey.set(toHex(key.publicKey), key);
      return { id: `${label}-${index}`, publicKey: toHex(key.publicKey) };
    });
  }

  /**
   * A certificate on `header` by `signers` (indices into the certifying set; default its first
   * quorum), made by the set of the header's epoch under its number unless `by` says otherwise.
   */
  certificate(header: BlockHeader, signers?: number[], by: CertifyOptions = {}): QuorumCertificate {
    const vote = { blockHash: blockHash(header), height: header.height, round: header.round };
    const epoch = by.certifiedBy === undefined ? this.epochAt(header.height) : this.epochList[by.certifiedBy]!;
    const signatureEpoch = by.signatureEpoch ?? epoch.number;
    const indices = signers ?? Array.from({ length: epoch.validators.quorum }, (_, index) => index);
    return {
      vote,
      signatures: indices.map((index) => ({
        validator: epoch.members[index]!.id,
        signature: toHex(signVote(this.chainId, epoch.keys[index]!.seed, vote, signatureEpoch)),
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
    const epoch = this.epoch;
    const header: BlockHeader = {
      chainId: this.chainId,
      height,
      round,
      prevHash: previous.blockHash,
      proposer: epoch.members[round % epoch.members.length]!.id,
      timestamp: this.genesis.genesisTime + height * 1000,
      txCount: transactions.length,
      txRoot: transactionRoot(transactions, transactionIds),
      ledgerHeight,
      logSize: atLedgerHeight.logSize,
      logRoot: atLedgerHeight.logRoot,
      stateRoot: atLedgerHeight.stateRoot,
      ...(options.nextValidators === undefined ? {} : { nextValidators: options.nextValidators }),
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
      stateRoot: this.stateTree.apply(writes),
      headerLedgerHeight: ledgerHeight,
    });
    const certificate = this.certificate(header, options.signers, { certifiedBy: options.certifiedBy, signatureEpoch: options.signatureEpoch });
    if (options.nextValidators !== undefined) this.handOver(height, options.nextValidators);
    return { block, certificate, results, writes, events: options.events ?? [] };
  }

  /** After a block that names a valid next set, later blocks belong to it; an invalid set changes nothing. */
  private handOver(height: number, members: Validator[]): void {
    const created = ValidatorSet.create(members);
    if (!created.ok) return;
    const keys = members.map((member) => {
      const key = this.keysByPublicKey.get(member.publicKey);
      if (key === undefined) throw new Error(`no key for validator ${member.id}: make the set with newValidators`);
      return key;
    });
    this.epochList.push({ number: this.epoch.number + 1, startHeight: height + 1, members, keys, validators: created.set });
    // Rounds start again in a new epoch.
    this.lastRound = 0;
  }
}

export function keyFor(participant: string): { publicKey: Uint8Array; seed: Uint8Array } {
  const key = testKey(`participant ${participant}`);
  return { publicKey: key.publicKey, seed: key.seed };
}
