/**
 * The steady load of a chaos run: pre-signed transactions (tools/bench/workload.ts) sent at a
 * fixed rate to validators chosen in turn among those the run says can take requests, each
 * waiting for its commit. A transaction counts as acknowledged only when a validator answered
 * `committed`: those are the ones the run later looks for on every validator. Anything else
 * (refused, timed out, the connection cut by a kill) is counted by reason and not looked for.
 */
import { Agent, request as httpRequest } from 'node:http';
import { presign } from '../bench/workload.js';

/** How long a request waits for its commit before the validator answers `pending`. */
const COMMIT_WAIT_MS = 10_000;
/** A frozen (SIGSTOP) validator never answers: the request is abandoned after this long. */
const REQUEST_TIMEOUT_MS = COMMIT_WAIT_MS + 5_000;
/** Transactions signed ahead of need, in chunks, so that a long run never signs all at once. */
const PRESIGN_CHUNK = 500;
/** Requests outstanding at once; beyond it sends are skipped and counted, so a stall cannot pile up sockets. */
const IN_FLIGHT_MAX = 2_000;

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

export interface LoadTargets {
  /** The API URLs that may take a request now (running and not frozen), in a stable order. */
  available(): string[];
}

export class SteadyLoad {
  readonly acknowledged = new Set<string>();
  readonly failures: Record<string, number> = {};
  sent = 0;
  private pool: Array<{ body: string; id: string }> = [];
  private signedUpTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private turn = 0;

  constructor(
    private readonly chainId: string,
    private readonly participantKeyFiles: Record<string, string>,
    private readonly ratePerS: number,
    private readonly targets: LoadTargets,
  ) {}

  async start(): Promise<void> {
    await this.refill();
    const intervalMs = 50;
    const perTick = (this.ratePerS * intervalMs) / 1000;
    let owed = 0;
    this.timer = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed -= 1) this.sendOne();
      if (this.pool.length < PRESIGN_CHUNK / 2) void this.refill();
    }, intervalMs);
  }

  /** Stops sending and waits for every request still out. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  private refilling: Promise<void> | undefined;
  private refill(): Promise<void> {
    this.refilling ??= (async () => {
      const workload = await presign(this.chainId, this.participantKeyFiles, PRESIGN_CHUNK, this.signedUpTo);
      this.signedUpTo += PRESIGN_CHUNK;
      for (const [index, body] of workload.bodies.entries()) this.pool.push({ body, id: workload.ids[index]! });
    })().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private fail(reason: string): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  private sendOne(): void {
    const transaction = this.pool.shift();
    if (transaction === undefined) return this.fail('generator behind (signing)');
    if (this.inFlight.size >= IN_FLIGHT_MAX) return this.fail('too many requests outstanding');
    const urls = this.targets.available();
    if (urls.length === 0) return this.fail('no validator available');
    const url = urls[this.turn++ % urls.length]!;
    this.sent += 1;
    const sending: Promise<void> = post(url, transaction.body).then((answer) => {
      if (answer === 'committed') this.acknowledged.add(transaction.id);
      else this.fail(answer);
      this.inFlight.delete(sending);
    });
    this.inFlight.add(sending);
  }
}

/** The transaction's status when committed, or why not. */
function post(url: string, body: string): Promise<string> {
  return new Promise((resolve) => {
    const target = new URL(`${url}/v1/transactions?wait=commit&timeoutMs=${COMMIT_WAIT_MS}`);
    const request = httpRequest(target, { method: 'POST', agent, timeout: REQUEST_TIMEOUT_MS, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => resolve('response cut'));
      response.on('end', () => {
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: string; code?: string };
          resolve(answer.status === 'committed' ? 'committed' : `${response.statusCode} ${answer.code ?? answer.status ?? ''}`.trim());
        } catch {
          resolve(`${response.statusCode} unreadable answer`);
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve(error.message === 'timed out' ? 'timed out' : 'connection failed'));
    request.end(body);
  });
}
