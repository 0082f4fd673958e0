/**
 * Durable consensus state (docs/consensus.md, section 3): the safety state, the uncommitted
 * blocks with their parents' certificates, and the highest QC and TC, in a LevelDB database of
 * its own beside the ledger store. Each `persist` output of the core becomes one batch written
 * with `sync: true`, so it is on disk before any message of that step leaves.
 *
 * Proposals carry transaction references (node/payload.ts), so a block record alone does not
 * hold its transactions: the bodies of each block this validator holds are written beside its
 * record in the same batch, before the vote leaves. A certified block's data thus survives a
 * restart of every validator that voted for it.
 *
 * It also keeps the ledger height this validator last executed: a mark outside the ledger's own
 * LevelDB, which a damaged write-ahead log cannot take back with the blocks it drops. It rides on
 * the synced batches written anyway (no fsync of its own per block), and close() writes it last;
 * on start, a ledger below it has lost committed blocks (node/dropped-blocks.ts).
 *
 * Given a path for it, the store keeps a copy of the safety record outside its LevelDB
 * (node/safety-record-copy.ts), written beside each batch that changes the record; load()
 * returns the later of the two, so a log cut short cannot take back the record of a round signed.
 */
import { ClassicLevel } from 'classic-level';
import { blockHash } from '../ledger/model/block.js';
import type { BlockRecord, CommittedBlock, ParentCertificate, TimeoutCertificate } from '../consensus/messages.js';
import type { ConsensusOutput, SafetyState } from '../consensus/types.js';
import { laterSafetyRecord } from '../consensus/safety-rules.js';
import { SafetyRecordCopy } from './safety-record-copy.js';

type PersistOutput = Extract<ConsensusOutput, { kind: 'persist' }>;

interface StoredRecord {
  block: { header: BlockRecord['block']['header']; payload: string };
  justify: ParentCertificate;
}

const KEYS = {
  safety: 'safety',
  highQc: 'high-qc',
  highTc: 'high-tc',
  executedHeight: 'executed-height',
  block: (hash: string) => `block:${hash}`,
  /** The JSON array of a block's transactions, for a record whose payload holds references. */
  bodies: (hash: string) => `bodies:${hash}`,
  /** Zero-padded, so keys sort by height. */
  handOver: (height: number) => `hand-over:${String(height).padStart(16, '0')}`,
};

interface StoredCommittedBlock {
  block: StoredRecord['block'];
  certificate: CommittedBlock['certificate'];
}

function storedCommittedBlock(entry: CommittedBlock): StoredCommittedBlock {
  return { block: { header: entry.block.header, payload: Buffer.from(entry.block.payload).toString('base64') }, certificate: entry.certificate };
}

/** The bodies of a block record to persist with it, when its payload holds only references. */
export type BodiesOf = (record: BlockRecord) => string | undefined;

export interface LoadedConsensusState {
  safety: SafetyState | undefined;
  blocks: BlockRecord[];
  /** The bodies persisted with the records, each the JSON array of one block's transactions. */
  bodies: string[];
  highQc: ParentCertificate;
  highTc: TimeoutCertificate | null;
  /**
   * The store's own safety record was behind its copy (it lost writes: a truncated log); `safety`
   * is then the copy's, and this is the store's as it was found.
   */
  storeSafetyBehindCopy?: { stored: SafetyState | undefined };
}

export class ConsensusStore {
  /** The highest executed ledger height noted, and the highest written; only ever raised. */
  private executedHeight: number;
  private writtenExecutedHeight: number;

  /**
   * The height of every block record stored, by hash: pruning after each executed block drops
   * those at or below it without reading and parsing every record again (a scan per block was
   * several per cent of a lightly loaded validator's CPU, docs/performance.md).
   */
  private readonly recordHeights: Map<string, number>;
  /** Records at or below this height are deleted with the next batch written (pruneAtOrBelow). */
  private pruneHeight = 0;

  private constructor(
    private readonly db: ClassicLevel<string, string>,
    executedHeight: number,
    private readonly safetyCopy: SafetyRecordCopy | undefined,
    recordHeights: Map<string, number>,
  ) {
    this.executedHeight = executedHeight;
    this.writtenExecutedHeight = executedHeight;
    this.recordHeights = recordHeights;
  }

  /** Opens the store in `directory`, and the safety record's copy at `safetyCopyPath` if given (created if absent). */
  static async open(directory: string, safetyCopyPath?: string): Promise<ConsensusStore> {
    const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    let mark: string | undefined;
    let safetyCopy: SafetyRecordCopy | undefined;
    const recordHeights = new Map<string, number>();
    try {
      mark = await db.get(KEYS.executedHeight);
      for await (const [key, value] of db.iterator({ gte: 'block:', lt: 'block;' })) {
        recordHeights.set(key.slice('block:'.length), (JSON.parse(value) as StoredRecord).block.header.height);
      }
      if (safetyCopyPath !== undefined) safetyCopy = await SafetyRecordCopy.open(safetyCopyPath);
    } catch (error) {
      await db.close();
      throw error;
    }
    const height = Number(mark);
    return new ConsensusStore(db, Number.isSafeInteger(height) && height > 0 ? height : 0, safetyCopy, recordHeights);
  }

  /** The ledger height this validator had executed when the mark was last written (0: none recorded). */
  executedHeightMark(): number {
    return this.writtenExecutedHeight;
  }

  /** The ledger executed up to `height` (durably): recorded with the next synced write. */
  noteExecuted(height: number): void {
    if (height > this.executedHeight) this.executedHeight = height;
  }

  async load(): Promise<LoadedConsensusState> {
    const [safety, highQc, highTc] = await this.db.getMany([KEYS.safety, KEYS.highQc, KEYS.highTc]);
    const blocks: BlockRecord[] = [];
    for await (const value of this.db.values({ gte: 'block:', lt: 'block;' })) {
      const record = JSON.parse(value) as StoredRecord;
      blocks.push({ block: { header: record.block.header, payload: new Uint8Array(Buffer.from(record.block.payload, 'base64')) }, justify: record.justify });
    }
    const bodies: string[] = [];
    for await (const value of this.db.values({ gte: 'bodies:', lt: 'bodies;' })) bodies.push(value);
    // Safety states written before epochs existed belong to epoch 0.
    const storedSafety: SafetyState | undefined = safety === undefined ? undefined : { epoch: 0, ...(JSON.parse(safety) as Omit<SafetyState, 'epoch'> & { epoch?: number }) };
    const later = laterSafetyRecord(storedSafety, this.safetyCopy?.stored);
    // Blocks and certificates of an epoch the copy has left are not the copy's to resume from.
    const stale = later.storeEpochStale;
    return {
      bodies: stale ? [] : bodies,
      safety: later.record,
      ...(later.storeBehind ? { storeSafetyBehindCopy: { stored: storedSafety } } : {}),
      blocks: stale ? [] : blocks,
      highQc: highQc === undefined || stale ? null : (JSON.parse(highQc) as ParentCertificate),
      highTc: highTc === undefined || stale ? null : (JSON.parse(highTc) as TimeoutCertificate | null),
    };
  }

  /** One synced batch per persist output. */
  async write(persist: PersistOutput, bodiesOf: BodiesOf = () => undefined): Promise<void> {
    const batch = this.db.batch();
    if (persist.dropAllBlocks === true) {
      for await (const key of this.db.keys({ gte: 'block:', lt: 'block;' })) batch.del(key);
      for await (const key of this.db.keys({ gte: 'bodies:', lt: 'bodies;' })) batch.del(key);
    }
    if (persist.dropAllBlocks !== true) this.addPrunes(batch);
    const added: Array<[string, number]> = [];
    if (persist.safety !== undefined) batch.put(KEYS.safety, JSON.stringify(persist.safety));
    if (persist.highQc !== undefined) batch.put(KEYS.highQc, JSON.stringify(persist.highQc));
    if (persist.highTc !== undefined) batch.put(KEYS.highTc, JSON.stringify(persist.highTc));
    for (const record of persist.blocks ?? []) {
      const stored: StoredRecord = { block: { header: record.block.header, payload: Buffer.from(record.block.payload).toString('base64') }, justify: record.justify };
      const hash = blockHash(record.block.header);
      batch.put(KEYS.block(hash), JSON.stringify(stored));
      added.push([hash, record.block.header.height]);
      const bodies = bodiesOf(record);
      if (bodies !== undefined) batch.put(KEYS.bodies(hash), bodies);
    }
    // Kept for good: no ledger holds these blocks, and validators still in that epoch need them
    // to catch up through the hand-over.
    if (persist.handOverProof !== undefined) batch.put(KEYS.handOver(persist.handOverProof.height), JSON.stringify(persist.handOverProof.blocks.map(storedCommittedBlock)));
    const executedHeight = this.executedHeight;
    if (executedHeight > this.writtenExecutedHeight) batch.put(KEYS.executedHeight, String(executedHeight));
    // Both durable before the step's messages leave; neither waits for the other.
    await Promise.all([batch.write({ sync: true }), persist.safety === undefined ? undefined : this.safetyCopy?.write(persist.safety)]);
    this.writtenExecutedHeight = Math.max(this.writtenExecutedHeight, executedHeight);
    if (persist.dropAllBlocks === true) this.recordHeights.clear();
    for (const [hash, height] of added) this.recordHeights.set(hash, height);
  }

  /**
   * Drops block records the ledger now holds (called after execution reached `height`). The
   * deletes ride on the next synced batch (or close()) instead of a LevelDB write of their own per
   * executed block: a record left behind by a crash is one the ledger holds, dropped again later.
   */
  pruneAtOrBelow(height: number): void {
    if (height > this.pruneHeight) this.pruneHeight = height;
  }

  /** Adds the deletes of every record at or below the prune height to `batch`. */
  private addPrunes(batch: ReturnType<ClassicLevel<string, string>['batch']>): void {
    for (const [hash, height] of this.recordHeights) {
      if (height > this.pruneHeight) continue;
      batch.del(KEYS.block(hash));
      batch.del(KEYS.bodies(hash));
      this.recordHeights.delete(hash);
    }
  }

  async handOverProofs(): Promise<Map<number, CommittedBlock[]>> {
    const proofs = new Map<number, CommittedBlock[]>();
    for await (const [key, value] of this.db.iterator({ gte: 'hand-over:', lt: 'hand-over;' })) {
      const stored = JSON.parse(value) as StoredCommittedBlock[];
      proofs.set(
        Number(key.slice('hand-over:'.length)),
        stored.map((entry) => ({ block: { header: entry.block.header, payload: new Uint8Array(Buffer.from(entry.block.payload, 'base64')) }, certificate: entry.certificate })),
      );
    }
    return proofs;
  }

  async close(): Promise<void> {
    const batch = this.db.batch();
    this.addPrunes(batch);
    if (this.executedHeight > this.writtenExecutedHeight) batch.put(KEYS.executedHeight, String(this.executedHeight));
    if (batch.length > 0) await batch.write({ sync: true });
    this.writtenExecutedHeight = this.executedHeight;
    await this.db.close();
    await this.safetyCopy?.close();
  }
}
