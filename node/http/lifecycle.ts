/**
 * The HTTP side of a graceful shutdown (docs/security.md, "Shutdown"): once stopping, new
 * requests get 503 `stopping` with Connection: close; requests already running finish (up to
 * a grace period) before the servers close their sockets and the node closes its stores under
 * them; long-lived responses (event streams) are ended at once rather than waited for.
 */
import type { RequestHandler, Response } from 'express';
import { ApiError, sendError } from './errors.js';

export class HttpLifecycle {
  private active = 0;
  private stopRequested = false;
  private readonly released = new WeakSet<Response>();
  private readonly enders = new Map<Response, () => void>();
  private idleWaiters: Array<() => void> = [];

  readonly middleware: RequestHandler = (_request, response, next) => {
    if (this.stopRequested) {
      sendError(response, new ApiError(503, 'stopping', 'this validator is shutting down; use another', '', { 'Retry-After': '5', Connection: 'close' }));
      return;
    }
    this.active++;
    response.once('close', () => {
      this.enders.delete(response);
      if (!this.released.has(response)) this.finished();
    });
    next();
  };

  /** A response that stays open (an event stream): it does not hold up a shutdown, which ends it with `end`. */
  longLived(response: Response, end: () => void): void {
    if (this.released.has(response)) return;
    this.released.add(response);
    this.enders.set(response, end);
    this.finished();
    if (this.stopRequested) end();
  }

  /** True once stop() was called: nothing new is taken. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Refuses new requests, ends long-lived ones, and resolves once the rest have finished or `graceMs` has passed. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    for (const end of [...this.enders.values()]) end();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private finished(): void {
    this.active--;
    if (this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
