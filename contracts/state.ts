/**
 * The contracts' view of application state: a read interface the node implements over its
 * store, and an overlay that collects one transaction's writes so that a refused transaction
 * changes nothing and an accepted one yields a sorted write set (ledger/model/state.ts).
 *
 * Keys are namespaced strings (see `stateKeys`); values are JSON. Reads are asynchronous because
 * the state lives on disk; contracts stay deterministic because they depend only on the values
 * read, never on timing.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { sortWriteSet, type StateWrite } from '../ledger/model/state.js';

export interface StateReader {
  get(key: string): Promise<JsonValue | undefined>;
}

export const stateKeys = {
  participant: (id: string) => `participant/${id}`,
  /** Which participant a public key is registered to: keys are unique across the consortium. */
  key: (publicKey: string) => `key/${publicKey}`,
  certificate: (documentHash: string) => `certificate/${documentHash}`,
  consortium: () => 'consortium',
  transaction: (txId: string) => `tx/${txId}`,
  item: (epc: string) => `item/${epc}`,
  lot: (epcClass: string) => `lot/${epcClass}`,
  event: (eventId: string) => `event/${eventId}`,
  /** The events a `proceed` capture refused (contracts/rules/capture.ts). */
  captureOutcome: (txId: string) => `capture-outcome/${txId}`,
  eventHash: (hash: string) => `event-hash/${hash}`,
  approval: (requestId: string) => `approval/${requestId}`,
  pendingApprovals: (party: string) => `pending-approvals/${party}`,
  recall: (recallId: string) => `recall/${recallId}`,
  /** A product's master data (a lot, or a GTIN pattern): contracts/rules/master-data.ts. */
  product: (identifier: string) => `product/${identifier}`,
  validatorSetChange: () => 'validator-set/pending',
};

/**
 * A deep copy of a JSON value, as structuredClone would make it (-0 and undefined members kept,
 * `__proto__` an own member) but for plain data only, which is all the state holds: several
 * times cheaper than structuredClone on the state's small records (docs/performance.md). A
 * cycle, which no state value can hold, would exhaust the stack and be a contract failure.
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: JsonValue[] = [];
    for (let index = 0; index < value.length; index++) copy.push(copyJson(value[index]!));
    return copy as T;
  }
  const copy: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    const member = copyJson((value as Record<string, JsonValue>)[key]!);
    // Assigning `__proto__` would set the prototype rather than add a member, as JSON.parse does.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: member, writable: true, enumerable: true, configurable: true });
    else copy[key] = member;
  }
  return copy as T;
}

/**
 * Reads through to the state below and keeps writes in memory. `fork()` gives a child overlay
 * whose writes are merged only on `commitTo(parent)`, so a sub-operation that fails leaves no trace.
 *
 * A read of a written value returns a copy (`copyJson`): contracts change the records they read
 * in place, and a transaction refused after doing so must not have changed the object an earlier
 * transaction of the block wrote (the executor fuzz found that it did).
 *
 * The overlay over the state below (the block's) keeps what it read from there, shared by its
 * forks: the state below does not change while a block executes, and every transaction reads
 * its signers, and the records it touches more than once (docs/performance.md). A fork looks up
 * the writes of its ancestors itself rather than through one awaited read per level.
 */
export class StateOverlay implements StateReader {
  private readonly writes = new Map<string, JsonValue | null>();
  /** The overlay this one was forked from, whose writes it sees; undefined for the block's. */
  private readonly parent: StateOverlay | undefined;
  private readonly below: BlockReads;

  /** Over a reader of the state below, or, given an overlay, as its fork. */
  constructor(below: StateReader) {
    if (below instanceof StateOverlay) {
      this.parent = below;
      this.below = below.below;
    } else {
      this.parent = undefined;
      this.below = new BlockReads(below);
    }
  }

  get(key: string): Promise<JsonValue | undefined> {
    for (let overlay: StateOverlay | undefined = this; overlay !== undefined; overlay = overlay.parent) {
      if (overlay.writes.has(key)) {
        const value = overlay.writes.get(key)!;
        return Promise.resolve(value === null ? undefined : copyJson(value));
      }
    }
    return this.below.get(key);
  }

  async getTyped<T>(key: string): Promise<T | undefined> {
    return (await this.get(key)) as T | undefined;
  }

  set(key: string, value: JsonValue): void {
    this.writes.set(key, value);
  }

  delete(key: string): void {
    this.writes.set(key, null);
  }

  fork(): StateOverlay {
    return new StateOverlay(this);
  }

  commitTo(parent: StateOverlay): void {
    for (const [key, value] of this.writes) parent.writes.set(key, value);
  }

  /** This overlay's own writes (not those below it), in the order first written. */
  ownWrites(): StateWrite[] {
    return [...this.writes].map(([key, value]) => ({ key, value }));
  }

  /** The writes, sorted by key with each key once: a canonical write set. */
  writeSet(): StateWrite[] {
    return sortWriteSet([...this.writes].map(([key, value]) => ({ key, value })));
  }
}

/**
 * The values read from the state below a block, each read from it once: a later read is a copy
 * of the first. Absent keys are not kept, since a contract that finds a key absent writes it.
 */
class BlockReads {
  private readonly values = new Map<string, JsonValue>();

  constructor(private readonly state: StateReader) {}

  async get(key: string): Promise<JsonValue | undefined> {
    const kept = this.values.get(key);
    if (kept !== undefined) return copyJson(kept);
    const value = await this.state.get(key);
    if (value === undefined) return undefined;
    // The reader's value goes to the contract, which may change it: what is kept is a copy.
    this.values.set(key, copyJson(value));
    return value;
  }
}

/** A state held in a Map: genesis, tests, and the simulator. Reads return copies, as a store's would. */
export class MemoryState implements StateReader {
  readonly values = new Map<string, JsonValue>();

  async get(key: string): Promise<JsonValue | undefined> {
    const value = this.values.get(key);
    return value === undefined ? undefined : copyJson(value);
  }

  apply(writes: readonly StateWrite[]): void {
    for (const write of writes) {
      if (write.value === null) this.values.delete(write.key);
      else this.values.set(write.key, write.value);
    }
  }
}
