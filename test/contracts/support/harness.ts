/**
 * A consortium for contract tests: participants with deterministic keys, the genesis state in
 * memory, and a `run` that executes one transaction as its own block, as the node would.
 */
import { toHex } from '../../../ledger/encoding/hex.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { MemoryStateTree } from '../../../ledger/state-tree/index.js';
import { signTransaction, transactionId, type Transaction } from '../../../ledger/model/transaction.js';
import { executeBlock, type ExecutedBlock } from '../../../contracts/executor.js';
import { genesisWrites, loadConsortium, type Consortium, type Role } from '../../../contracts/participants.js';
import { MemoryState } from '../../../contracts/state.js';
import { readTracedRecord } from '../../../contracts/queries.js';
import { keyFor } from '../../support/test-chain.js';

export const CHAIN_ID = 'custodia-test';
export const GENESIS_TIME = 1_767_225_600_000;

/** Participants by a short name; each owns the GS1 company prefix in its id. */
export const PARTIES = {
  farm: { id: 'urn:epc:id:pgln:0614141.00001', roles: ['producer'] },
  processor: { id: 'urn:epc:id:pgln:0614142.00001', roles: ['processor'] },
  carrier: { id: 'urn:epc:id:pgln:0614143.00001', roles: ['carrier'] },
  distributor: { id: 'urn:epc:id:pgln:0614144.00001', roles: ['distributor'] },
  retailer: { id: 'urn:epc:id:pgln:0614145.00001', roles: ['retailer'] },
  lab: { id: 'urn:epc:id:pgln:0614146.00001', roles: ['laboratory'] },
  regulator: { id: 'urn:epc:id:pgln:0614147.00001', roles: ['regulator', 'auditor'] },
  admin1: { id: 'urn:epc:id:pgln:0614148.00001', roles: ['admin'] },
  admin2: { id: 'urn:epc:id:pgln:0614149.00001', roles: ['admin'] },
  admin3: { id: 'urn:epc:id:pgln:0614150.00001', roles: ['admin'] },
} as const satisfies Record<string, { id: string; roles: Role[] }>;
export type PartyName = keyof typeof PARTIES;

export function prefixOf(party: PartyName): string {
  return PARTIES[party].id.split(':')[4]!.split('.')[0]!;
}

export function testConsortium(): Consortium {
  const loaded = loadConsortium({
    participants: Object.entries(PARTIES).map(([name, party]) => ({
      id: party.id,
      name,
      roles: [...party.roles],
      keys: [{ publicKey: toHex(keyFor(party.id).publicKey), status: 'active' }],
      companyPrefixes: [prefixOf(name as PartyName)],
      status: 'active',
    })),
    admins: [PARTIES.admin1.id, PARTIES.admin2.id, PARTIES.admin3.id],
    thresholds: { governance: 2 },
  });
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.consortium;
}

export interface Run {
  txId: string;
  result: ExecutedBlock['results'][number];
  block: ExecutedBlock;
}

export class ContractHarness {
  readonly state = new MemoryState();
  height = 0;
  timestamp = GENESIS_TIME;
  stateRoot: string;
  private readonly tree = new MemoryStateTree();
  private nonce = 0;

  constructor(readonly consortium: Consortium = testConsortium()) {
    const writes = genesisWrites(consortium);
    this.state.apply(writes);
    this.stateRoot = this.tree.apply(writes);
  }

  transaction(type: string, payload: JsonValue, signers: Array<PartyName | { id: string; seedName: string }>): Transaction {
    const entries = signers.map((signer) => (typeof signer === 'string' ? { participant: PARTIES[signer].id, ...keyFor(PARTIES[signer].id) } : { participant: signer.id, ...keyFor(signer.seedName) }));
    return signTransaction({ chainId: CHAIN_ID, type, signers: entries.map((entry) => entry.participant), nonce: `n-${this.nonce++}`, payload }, entries);
  }

  /** Executes the transactions as the next block and applies its writes. */
  async block(transactions: Transaction[]): Promise<ExecutedBlock> {
    this.height += 1;
    this.timestamp += 60_000;
    const executed = await executeBlock(this.state, { chainId: CHAIN_ID, height: this.height, timestamp: this.timestamp }, transactions);
    this.state.apply(executed.writes);
    this.stateRoot = this.tree.apply(executed.writes);
    return executed;
  }

  async run(type: string, payload: JsonValue, signers: Array<PartyName | { id: string; seedName: string }>): Promise<Run> {
    const transaction = this.transaction(type, payload, signers);
    const block = await this.block([transaction]);
    return { txId: transactionId(transaction.body), result: block.results[0]!, block };
  }

  async record(id: string) {
    return readTracedRecord(this.state, id);
  }
}

export function id(party: PartyName): string {
  return PARTIES[party].id;
}
