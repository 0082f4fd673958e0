/**
 * A transparency-log witness (c2sp.org/tlog-witness, "add-checkpoint"; c2sp.org/tlog-cosignature)
 * for Custodia logs, run by `custodia witness`. For each log it knows (an origin with its k-of-n
 * checkpoint policy) it keeps the latest checkpoint it cosigned, durably (fsync before it
 * answers), and cosigns a new checkpoint only when it verifies under the log's policy and is
 * proven to extend that one:
 *
 * - 400 a malformed request, or an old size above the checkpoint's;
 * - 404 a checkpoint of an origin it does not know; 403 one not signed as the policy asks;
 * - 409 (body: its latest size, Content-Type text/x.tlog.size) when the old size is not the size
 *   it last cosigned, or equals it with another root: a checkpoint that does not extend its view;
 * - 422 a consistency proof that does not verify: logged, with the checkpoint, as possible
 *   evidence of a fork;
 * - 200 one timestamped cosignature line.
 *
 * Requests for one origin are handled one at a time, so the check and the update are atomic
 * (the race the spec warns of cannot roll the witness back).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { fromBase64, toBase64 } from '../../ledger/encoding/base64.js';
import { verifyConsistency } from '../../ledger/merkle/index.js';
import { parseCheckpointText, verifyCheckpoint, type CheckpointPolicy } from '../../ledger/tlog/checkpoint.js';
import { cosign } from '../../ledger/tlog/cosignature.js';
import { parseNote } from '../../ledger/tlog/note.js';
import { ADD_CHECKPOINT_BYTES_MAX, parseAddCheckpoint, TLOG_SIZE_CONTENT_TYPE } from '../../ledger/tlog/witness-request.js';
import { writeFileDurably } from '../durable-file.js';

export interface WitnessIdentity {
  name: string;
  seed: Uint8Array;
  publicKey: Uint8Array;
}

export interface WitnessLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface WitnessOptions {
  identity: WitnessIdentity;
  /** The logs this witness cosigns, each by its checkpoint policy (origin and keys). */
  logs: readonly CheckpointPolicy[];
  stateDirectory: string;
  logger: WitnessLogger;
  /** POSIX seconds for the cosignature's timestamp. */
  now?: () => number;
  /**
   * Asked for a log's current policy when a checkpoint is not signed as the one held asks (the
   * validator set may have changed); a policy it returns replaces the held one. At most once per
   * POLICY_REFRESH_INTERVAL_MS per log, so forged checkpoints cannot make the witness fetch on
   * every request.
   */
  refreshPolicy?: (origin: string) => Promise<CheckpointPolicy | undefined>;
}

export const POLICY_REFRESH_INTERVAL_MS = 60_000;

const stateSchema = z.strictObject({ origin: z.string(), size: z.number().int().min(0), rootHash: z.string(), checkpoint: z.string() });
export type WitnessRecord = z.infer<typeof stateSchema>;

export class Witness {
  readonly #options: WitnessOptions;
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #policies = new Map<string, CheckpointPolicy>();
  readonly #refreshedAt = new Map<string, number>();

  constructor(options: WitnessOptions) {
    this.#options = options;
  }

  #policy(origin: string): CheckpointPolicy | undefined {
    return this.#policies.get(origin) ?? this.#options.logs.find((log) => log.origin === origin);
  }

  /** The checkpoint verified under the held policy, or under a refreshed one if the held one does not accept it. */
  async #verified(origin: string, checkpoint: string): Promise<ReturnType<typeof verifyCheckpoint>> {
    const held = this.#policy(origin)!;
    const verdict = verifyCheckpoint(checkpoint, held);
    const refresh = this.#options.refreshPolicy;
    const last = this.#refreshedAt.get(origin);
    if (verdict.ok || (verdict.code !== 'unverified' && verdict.code !== 'below-threshold') || refresh === undefined) return verdict;
    if (last !== undefined && Date.now() - last < POLICY_REFRESH_INTERVAL_MS) return verdict;
    this.#refreshedAt.set(origin, Date.now());
    const fresh = await refresh(origin).catch(() => undefined);
    if (fresh === undefined || fresh.origin !== origin) return verdict;
    this.#policies.set(origin, fresh);
    this.#options.logger.info(`the policy of ${origin} was refreshed: ${fresh.threshold} of ${fresh.signers.length} keys`);
    return verifyCheckpoint(checkpoint, fresh);
  }

  /** The latest checkpoint cosigned for an origin (undefined: never). */
  async latest(origin: string): Promise<WitnessRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#statePath(origin), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const record = stateSchema.parse(JSON.parse(text));
    if (record.origin !== origin) throw new Error(`witness state ${this.#statePath(origin)} belongs to ${record.origin}`);
    return record;
  }

  /** Handles one add-checkpoint body; answers status, content type and body. */
  async addCheckpoint(body: string): Promise<{ status: number; contentType: string; body: string }> {
    const answer = (status: number, text: string, contentType = 'text/plain; charset=utf-8') => ({ status, contentType, body: text.endsWith('\n') ? text : `${text}\n` });
    const parsed = parseAddCheckpoint(body);
    if (!parsed.ok) return answer(400, parsed.message);
    const { request } = parsed;
    const note = parseNote(request.checkpoint);
    if (!note.ok) return answer(400, note.message);
    const text = parseCheckpointText(note.text);
    if (!text.ok) return answer(400, text.message);
    if (this.#policy(text.checkpoint.origin) === undefined) return answer(404, `unknown log ${text.checkpoint.origin}`);
    const verified = await this.#verified(text.checkpoint.origin, request.checkpoint);
    if (!verified.ok) return answer(403, `${verified.code}: ${verified.message}`);
    const checkpoint = verified.checkpoint;
    if (request.oldSize > checkpoint.size) return answer(400, `old size ${request.oldSize} is above the checkpoint's ${checkpoint.size}`);
    return this.#serialised(checkpoint.origin, async () => {
      const latest = await this.latest(checkpoint.origin);
      const latestSize = latest?.size ?? 0;
      if (request.oldSize !== latestSize) return answer(409, String(latestSize), TLOG_SIZE_CONTENT_TYPE);
      const latestRoot = latest === undefined ? undefined : fromBase64(latest.rootHash)!;
      if (latest !== undefined && request.oldSize === checkpoint.size && toBase64(checkpoint.rootHash) !== latest.rootHash) {
        this.#options.logger.warn(`FORK? ${checkpoint.origin}: a checkpoint of size ${checkpoint.size} with root ${toBase64(checkpoint.rootHash)}, but this witness cosigned root ${latest.rootHash} at that size:\n${request.checkpoint}`);
        return answer(409, String(latestSize), TLOG_SIZE_CONTENT_TYPE);
      }
      // Every tree extends the empty one: from size 0 there is nothing to prove (and the proof is empty).
      if (latestRoot !== undefined && request.oldSize > 0 && request.oldSize < checkpoint.size) {
        const consistent = verifyConsistency(request.oldSize, checkpoint.size, latestRoot, checkpoint.rootHash, request.proof);
        if (!consistent.ok) {
          this.#options.logger.warn(`FORK? ${checkpoint.origin}: a checkpoint of size ${checkpoint.size} does not extend the one of size ${latestSize} this witness cosigned (${consistent.reason}):\n${request.checkpoint}`);
          return answer(422, `the consistency proof from ${request.oldSize} does not verify: ${consistent.reason}`);
        }
      }
      await writeFileDurably(this.#statePath(checkpoint.origin), JSON.stringify({ origin: checkpoint.origin, size: checkpoint.size, rootHash: toBase64(checkpoint.rootHash), checkpoint: request.checkpoint } satisfies WitnessRecord));
      const { identity } = this.#options;
      this.#options.logger.info(`cosigned ${checkpoint.origin} at size ${checkpoint.size}`);
      return answer(200, cosign(verified.text, identity.name, identity.seed, identity.publicKey, (this.#options.now ?? (() => Math.floor(Date.now() / 1000)))()));
    });
  }

  #statePath(origin: string): string {
    return join(this.#options.stateDirectory, `${createHash('sha256').update(origin).digest('hex')}.json`);
  }

  #serialised<T>(origin: string, task: () => Promise<T>): Promise<T> {
    const next = (this.#queues.get(origin) ?? Promise.resolve()).then(task);
    const settled = next.catch(() => undefined);
    this.#queues.set(origin, settled);
    void settled.then(() => {
      if (this.#queues.get(origin) === settled) this.#queues.delete(origin);
    });
    return next;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The witness's HTTP interface: POST <prefix>/add-checkpoint. */
export function witnessServer(witness: Witness): Server {
  const app = express();
  app.disable('x-powered-by');
  app.post('/add-checkpoint', express.raw({ type: () => true, limit: ADD_CHECKPOINT_BYTES_MAX }), async (request: Request, response: Response) => {
    let body: string;
    try {
      body = strictUtf8.decode(Buffer.isBuffer(request.body) ? request.body : new Uint8Array());
    } catch {
      response.status(400).type('text/plain').send('the request is not UTF-8\n');
      return;
    }
    const answer = await witness.addCheckpoint(body);
    // Written as given: the spec fixes the 409 answer's Content-Type to exactly text/x.tlog.size.
    response.status(answer.status).setHeader('Content-Type', answer.contentType);
    response.end(answer.body);
  });
  app.use((_request: Request, response: Response) => void response.status(404).type('text/plain').send('not found\n'));
  app.use((error: { status?: number }, _request: Request, response: Response, _next: unknown) => {
    // Body-parser errors carry their status (413 too large, 400 unreadable); anything else is this witness's fault.
    const status = error.status === 413 || error.status === 400 ? error.status : 500;
    response.status(status).type('text/plain').send(status === 413 ? 'the request is too large\n' : status === 400 ? 'bad request\n' : 'the witness failed\n');
  });
  return createServer(app);
}
