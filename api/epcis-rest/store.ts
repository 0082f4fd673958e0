/**
 * What the EPCIS binding keeps between restarts, in a LevelDB of its own in the node's data
 * folder (`<dataDir>/epcis-rest`), never in the ledger's state: capture jobs (which request
 * captured what, and when), named queries and subscriptions with each webhook's delivery cursor.
 * They are one node's service to its clients, not facts the consortium agrees on; the ledger
 * keeps what was captured, and a lost job record only loses its createdAt and its place in
 * GET /capture. Everything is bounded: jobs by JOBS_KEPT_MAX (the oldest are forgotten first),
 * queries and subscriptions per participant and in all.
 */
import { ClassicLevel } from 'classic-level';
import type { CaptureErrorBehaviour } from '../../contracts/rules/capture.js';

/** Capture jobs kept for GET /capture; older ones are forgotten (their captures stay in the ledger). */
export const JOBS_KEPT_MAX = 10_000;
export const QUERIES_PER_PARTICIPANT_MAX = 100;
export const QUERIES_MAX = 10_000;
export const SUBSCRIPTIONS_PER_PARTICIPANT_MAX = 10;
export const SUBSCRIPTIONS_MAX = 1_000;

export interface CaptureJobRecord {
  seq: number;
  captureId: string;
  createdAt: string;
  submitter: string;
  behaviour: CaptureErrorBehaviour;
}

/** A named query's definition in the form of GS1's query-schema.json: parameter to value or alternatives. */
export type QueryDefinition = Record<string, string | string[]>;

export interface NamedQueryRecord {
  owner: string;
  name: string;
  query: QueryDefinition;
  createdAt: string;
}

export interface SubscriptionRecord {
  subscriptionID: string;
  owner: string;
  queryName: string;
  /** The query as it was when subscribed; deleting the query deletes its subscriptions. */
  query: QueryDefinition;
  dest: string;
  signatureToken?: string;
  reportIfEmpty: boolean;
  createdAt: string;
  initialRecordTime?: string;
}

/** Where a webhook's deliveries stand: the last height handled (delivered, or given up on). */
export interface DeliveryState {
  height: number;
  failedDeliveries: number;
  lastError?: string;
  lastNotifiedAt?: string;
}

const SEQ_DIGITS = 16;
const seqKey = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
const KEY = {
  job: (seq: number) => `job/${seqKey(seq)}`,
  jobById: (captureId: string) => `job-id/${captureId}`,
  jobBy: (participant: string, seq?: number) => `job-by/${participant}\u0000${seq === undefined ? '' : seqKey(seq)}`,
  query: (owner: string, name = '') => `query/${owner}\u0000${name}`,
  subscription: (id = '') => `subscription/${id}`,
  delivery: (id: string) => `delivery/${id}`,
};

export type Admission = 'created' | 'exists' | 'participant-limit' | 'limit';

export class BindingStore {
  private nextSeq = 1;
  private oldestSeq = 1;
  private jobCount = 0;
  private queryCount = 0;
  private subscriptionCount = 0;

  private readonly db: ClassicLevel<string, string>;
  private readonly ready: Promise<void>;

  /** Opens (or creates) the store in `directory`; every method waits for the opening. */
  constructor(directory: string) {
    this.db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    this.ready = this.count();
  }

  private async count(): Promise<void> {
    await this.db.open();
    for await (const key of this.db.keys({ gte: 'job/', lt: 'job0' })) {
      const seq = Number(key.slice('job/'.length));
      if (this.jobCount === 0) this.oldestSeq = seq;
      this.nextSeq = seq + 1;
      this.jobCount += 1;
    }
    for await (const _key of this.db.keys({ gte: 'query/', lt: 'query0' })) this.queryCount += 1;
    for await (const _key of this.db.keys({ gte: 'subscription/', lt: 'subscription0' })) this.subscriptionCount += 1;
  }

  /** Resolves once the store is open, or rejects with why it could not be. */
  opened(): Promise<void> {
    return this.ready;
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.db.close();
  }

  private async read<T>(key: string): Promise<T | undefined> {
    await this.ready;
    const value = await this.db.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  private async values<T>(gte: string, lt: string, limit: number, reverse = false): Promise<T[]> {
    await this.ready;
    const found: T[] = [];
    for await (const value of this.db.values({ gte, lt, limit, reverse })) found.push(JSON.parse(value) as T);
    return found;
  }

  // Capture jobs.

  /** Records a capture job once (a resubmission keeps the first record), forgetting the oldest beyond JOBS_KEPT_MAX. */
  async addJob(job: Omit<CaptureJobRecord, 'seq'>): Promise<CaptureJobRecord> {
    const existing = await this.job(job.captureId);
    if (existing !== undefined) return existing;
    const record: CaptureJobRecord = { seq: this.nextSeq++, ...job };
    const batch = this.db.batch();
    const text = JSON.stringify(record);
    batch.put(KEY.job(record.seq), text).put(KEY.jobById(record.captureId), text).put(KEY.jobBy(record.submitter, record.seq), text);
    this.jobCount += 1;
    while (this.jobCount > JOBS_KEPT_MAX) {
      const oldest = await this.read<CaptureJobRecord>(KEY.job(this.oldestSeq));
      if (oldest !== undefined) {
        batch.del(KEY.job(oldest.seq)).del(KEY.jobById(oldest.captureId)).del(KEY.jobBy(oldest.submitter, oldest.seq));
        this.jobCount -= 1;
      }
      this.oldestSeq += 1;
    }
    await batch.write();
    return record;
  }

  job(captureId: string): Promise<CaptureJobRecord | undefined> {
    return this.read<CaptureJobRecord>(KEY.jobById(captureId));
  }

  /** Jobs newest first, of one submitter or of all; `before` is the seq the previous page ended at. */
  async jobs(submitter: string | undefined, limit: number, before?: number): Promise<{ jobs: CaptureJobRecord[]; next?: number }> {
    const [gte, lt] = submitter === undefined ? ['job/', before === undefined ? 'job0' : KEY.job(before)] : [KEY.jobBy(submitter), before === undefined ? `${KEY.jobBy(submitter)}\uffff` : KEY.jobBy(submitter, before)];
    const jobs = await this.values<CaptureJobRecord>(gte, lt, limit + 1, true);
    if (jobs.length <= limit) return { jobs };
    jobs.pop();
    return { jobs, next: jobs[jobs.length - 1]!.seq };
  }

  // Named queries: each participant names its own.

  async addQuery(record: NamedQueryRecord): Promise<Admission> {
    await this.ready;
    if ((await this.query(record.owner, record.name)) !== undefined) return 'exists';
    if (this.queryCount >= QUERIES_MAX) return 'limit';
    const owned = await this.values<NamedQueryRecord>(KEY.query(record.owner), `${KEY.query(record.owner)}\uffff`, QUERIES_PER_PARTICIPANT_MAX);
    if (owned.length >= QUERIES_PER_PARTICIPANT_MAX) return 'participant-limit';
    this.queryCount += 1;
    await this.db.put(KEY.query(record.owner, record.name), JSON.stringify(record));
    return 'created';
  }

  query(owner: string, name: string): Promise<NamedQueryRecord | undefined> {
    return this.read<NamedQueryRecord>(KEY.query(owner, name));
  }

  /** One participant's queries by name; `after` is the name the previous page ended at. */
  async queries(owner: string, limit: number, after?: string): Promise<{ queries: NamedQueryRecord[]; next?: string }> {
    const gte = after === undefined ? KEY.query(owner) : `${KEY.query(owner, after)}\u0000`;
    const queries = await this.values<NamedQueryRecord>(gte, `${KEY.query(owner)}\uffff`, limit + 1);
    if (queries.length <= limit) return { queries };
    queries.pop();
    return { queries, next: queries[queries.length - 1]!.name };
  }

  /** Deletes the query and its subscriptions; the subscriptions it deleted. */
  async deleteQuery(owner: string, name: string): Promise<SubscriptionRecord[] | undefined> {
    if ((await this.query(owner, name)) === undefined) return undefined;
    const subscriptions = (await this.subscriptions()).filter((subscription) => subscription.owner === owner && subscription.queryName === name);
    const batch = this.db.batch().del(KEY.query(owner, name));
    for (const subscription of subscriptions) batch.del(KEY.subscription(subscription.subscriptionID)).del(KEY.delivery(subscription.subscriptionID));
    await batch.write();
    this.queryCount -= 1;
    this.subscriptionCount -= subscriptions.length;
    return subscriptions;
  }

  // Subscriptions and their delivery state.

  async addSubscription(record: SubscriptionRecord, delivery: DeliveryState): Promise<Admission> {
    await this.ready;
    if (this.subscriptionCount >= SUBSCRIPTIONS_MAX) return 'limit';
    if ((await this.subscriptions()).filter((subscription) => subscription.owner === record.owner).length >= SUBSCRIPTIONS_PER_PARTICIPANT_MAX) return 'participant-limit';
    this.subscriptionCount += 1;
    await this.db.batch().put(KEY.subscription(record.subscriptionID), JSON.stringify(record)).put(KEY.delivery(record.subscriptionID), JSON.stringify(delivery)).write();
    return 'created';
  }

  /** Every subscription (at most SUBSCRIPTIONS_MAX). */
  subscriptions(): Promise<SubscriptionRecord[]> {
    return this.values<SubscriptionRecord>(KEY.subscription(), 'subscription0', SUBSCRIPTIONS_MAX);
  }

  subscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.read<SubscriptionRecord>(KEY.subscription(id));
  }

  async deleteSubscription(id: string): Promise<boolean> {
    if ((await this.subscription(id)) === undefined) return false;
    await this.db.batch().del(KEY.subscription(id)).del(KEY.delivery(id)).write();
    this.subscriptionCount -= 1;
    return true;
  }

  delivery(id: string): Promise<DeliveryState | undefined> {
    return this.read<DeliveryState>(KEY.delivery(id));
  }

  /** Records where a subscription's deliveries stand, unless it was deleted meanwhile. */
  async setDelivery(id: string, state: DeliveryState): Promise<void> {
    if ((await this.subscription(id)) === undefined) return;
    await this.db.put(KEY.delivery(id), JSON.stringify(state));
  }
}
