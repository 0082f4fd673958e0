/**
 * The load generator: pre-signed transactions sent to the validators' API in turn, each request
 * waiting for its commit (`wait=commit`), in one of two shapes:
 *
 * - open loop at a fixed rate: sends are scheduled at fixed times and latency is measured from
 *   the scheduled time, not the actual send, so a generator that falls behind cannot hide the
 *   delay it caused (coordinated omission);
 * - closed loop with C clients, each sending its next request when the last is answered.
 *
 * With a batch size B above 1, one request carries B transactions (a JSON array) and each of them
 * counts with the request's latency. Only requests scheduled inside the measured window count.
 */
import { Agent, request as httpRequest } from 'node:http';

export interface LoadResult {
  /** Transactions sent in the measured window, and those of them committed. */
  sent: number;
  committed: number;
  /** Refused (status 4xx/5xx or not committed), with their reasons. */
  failed: number;
  failures: Record<string, number>;
  /** Submission-to-commit latency of each committed transaction in the window, ms. */
  latenciesMs: number[];
  /** When each of those was scheduled to be sent (`Date.now()` clock, ms), in the same order. */
  scheduledAtMs: number[];
}

export interface LoadTarget {
  apiUrls: string[];
  bodies: string[];
  batch: number;
  /** How long each request waits for its commit. */
  waitMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4096 });

/**
 * One request: `bodies` (one transaction, or B as an array), answering once committed. A request
 * that a kept-alive connection loses to a reset before any answer (the server closed the idle
 * connection as this request reused it: Node's documentation of `request.reusedSocket`) is sent
 * once more on a connection of its own, since the pool may hold other connections the server is
 * closing; submitting a signed transaction twice submits one transaction.
 */
async function post(url: string, bodies: string[], waitMs: number): Promise<{ status: number; committed: number; reason?: string }> {
  const answer = await postOnce(url, bodies, waitMs, agent);
  return answer.lostOnReusedConnection ? postOnce(url, bodies, waitMs, false) : answer;
}

function postOnce(url: string, bodies: string[], waitMs: number, through: Agent | false): Promise<{ status: number; committed: number; reason?: string; lostOnReusedConnection?: boolean }> {
  const payload = bodies.length === 1 ? bodies[0]! : `[${bodies.join(',')}]`;
  return new Promise((resolve) => {
    const target = new URL(`${url}/v1/transactions?wait=commit&timeoutMs=${waitMs}`);
    const request = httpRequest(target, { method: 'POST', agent: through, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        let answer: unknown;
        try {
          answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          answer = undefined;
        }
        const statuses = (Array.isArray(answer) ? answer : [answer]) as Array<{ status?: string; code?: string } | undefined>;
        const committed = statuses.filter((entry) => entry?.status === 'committed').length;
        const reason = committed === bodies.length ? undefined : status >= 400 ? `${status} ${(answer as { code?: string } | undefined)?.code ?? ''}`.trim() : (statuses.find((entry) => entry?.status !== 'committed')?.status ?? 'no answer');
        resolve({ status, committed, ...(reason === undefined ? {} : { reason }) });
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const lostOnReusedConnection = request.reusedSocket && error.code === 'ECONNRESET';
      resolve({ status: 0, committed: 0, reason: error.message, ...(lostOnReusedConnection ? { lostOnReusedConnection } : {}) });
    });
    request.end(payload);
  });
}

class Recorder {
  readonly result: LoadResult = { sent: 0, committed: 0, failed: 0, failures: {}, latenciesMs: [], scheduledAtMs: [] };
  /** `performance.now()` is monotonic; this maps it to the wall clock that log files stamp. */
  private readonly wallClockOffsetMs = Date.now() - performance.now();

  record(count: number, answer: { committed: number; reason?: string }, latencyMs: number, scheduledAt: number): void {
    this.result.sent += count;
    this.result.committed += answer.committed;
    for (let index = 0; index < answer.committed; index++) {
      this.result.latenciesMs.push(latencyMs);
      this.result.scheduledAtMs.push(this.wallClockOffsetMs + scheduledAt);
    }
    const failed = count - answer.committed;
    if (failed > 0) {
      this.result.failed += failed;
      const reason = answer.reason ?? 'not committed';
      this.result.failures[reason] = (this.result.failures[reason] ?? 0) + failed;
    }
  }
}

/**
 * Sends at `ratePerS` transactions per second for `warmupS` then `durationS` seconds; waits for
 * every request to be answered. Returns what was scheduled inside the measured window.
 */
export async function openLoop(target: LoadTarget, ratePerS: number, warmupS: number, durationS: number): Promise<LoadResult> {
  const recorder = new Recorder();
  const intervalMs = (1000 * target.batch) / ratePerS;
  const requests = Math.floor(((warmupS + durationS) * ratePerS) / target.batch);
  if (requests * target.batch > target.bodies.length) throw new Error(`the workload holds ${target.bodies.length} transactions; the run needs ${requests * target.batch}`);
  const start = performance.now() + 50;
  const windowStart = start + warmupS * 1000;
  const pending: Array<Promise<void>> = [];
  let next = 0;
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = performance.now();
      // Everything due is sent now, however late: the schedule, not the generator, sets the times.
      while (next < requests && start + next * intervalMs <= now) {
        const scheduledAt = start + next * intervalMs;
        const bodies = target.bodies.slice(next * target.batch, (next + 1) * target.batch);
        const url = target.apiUrls[next % target.apiUrls.length]!;
        const counts = scheduledAt >= windowStart;
        pending.push(
          post(url, bodies, target.waitMs).then((answer) => {
            if (counts) recorder.record(bodies.length, answer, performance.now() - scheduledAt, scheduledAt);
          }),
        );
        next++;
      }
      if (next >= requests) return finished();
      setTimeout(tick, Math.max(0, Math.min(5, start + next * intervalMs - performance.now())));
    };
    tick();
  });
  await Promise.all(pending);
  return recorder.result;
}

/** `clients` clients, each with its next request as soon as its last is answered, for `warmupS` then `durationS` seconds. */
export async function closedLoop(target: LoadTarget, clients: number, warmupS: number, durationS: number): Promise<LoadResult> {
  const recorder = new Recorder();
  const start = performance.now();
  const windowStart = start + warmupS * 1000;
  const end = windowStart + durationS * 1000;
  let next = 0;
  const client = async (number: number) => {
    while (performance.now() < end) {
      if ((next + 1) * target.batch > target.bodies.length) throw new Error(`the workload of ${target.bodies.length} transactions ran out`);
      const bodies = target.bodies.slice(next * target.batch, (next + 1) * target.batch);
      next++;
      const sentAt = performance.now();
      const answer = await post(target.apiUrls[number % target.apiUrls.length]!, bodies, target.waitMs);
      if (sentAt >= windowStart) recorder.record(bodies.length, answer, performance.now() - sentAt, sentAt);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, number) => client(number)));
  return recorder.result;
}

/** The value below which `fraction` of the samples lie (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
