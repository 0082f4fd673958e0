/**
 * Open connections to the client API, in all and per source address (docs/security.md,
 * "Unauthenticated clients"). The request rate limit (rate-limit.ts) counts requests; a client
 * that opens connections and sends nothing, or trickles its headers, makes none, yet each
 * connection holds a socket and a file descriptor the validator's ledger and peers need too.
 *
 * A connection over either limit is not served: its requests are answered 503
 * `too-many-connections` with Retry-After and the connection is closed after the answer, and
 * one that sends nothing within REFUSED_IDLE_MS is closed. Refused connections still open are
 * bounded as well; past that bound a new one is closed at once, unanswered.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { ApiError, sendError } from './errors.js';
import { socketAddressOf } from './rate-limit.js';

export interface ConnectionLimits {
  /** Client connections open at once, all addresses together. */
  max: number;
  /** Client connections open at once from one address. */
  perAddressMax: number;
}

/** A refused connection that sends no request within this long is closed, ms. */
export const REFUSED_IDLE_MS = 1_000;
/** Refused connections still open (waiting to be answered and closed) at most; beyond, a new one is closed unanswered. */
export const REFUSED_OPEN_MAX = 256;

export class ConnectionLimiter {
  private open = 0;
  private refusedOpen = 0;
  private readonly openByAddress = new Map<string, number>();
  private readonly refused = new WeakSet<Duplex>();

  private readonly refusedIdleMs: number;
  private readonly refusedOpenMax: number;

  constructor(
    private readonly limits: ConnectionLimits,
    refusals: { idleMs?: number; openMax?: number } = {},
  ) {
    this.refusedIdleMs = refusals.idleMs ?? REFUSED_IDLE_MS;
    this.refusedOpenMax = refusals.openMax ?? REFUSED_OPEN_MAX;
  }

  /**
   * Counts every connection `server` accepts from now on, as it arrives (before any TLS
   * handshake). Behind TLS a refused connection is closed unanswered: answering would take the
   * handshake the limit is there to spare.
   */
  attach(server: Server, options: { tls: boolean }): void {
    server.on('connection', (socket: Socket) => this.admit(socket, options.tls));
  }

  /** Connections served now, in all and from `address`. */
  openConnections(address?: string): number {
    return address === undefined ? this.open : (this.openByAddress.get(address) ?? 0);
  }

  /** Whether `socket` came in over a limit (its requests are to be answered 503). */
  isRefused(socket: Duplex): boolean {
    return this.refused.has(socket);
  }

  private admit(socket: Socket, tls: boolean): void {
    const address = socketAddressOf(socket);
    const fromAddress = this.openByAddress.get(address) ?? 0;
    if (this.open < this.limits.max && fromAddress < this.limits.perAddressMax) {
      this.open++;
      this.openByAddress.set(address, fromAddress + 1);
      socket.once('close', () => {
        this.open--;
        const left = (this.openByAddress.get(address) ?? 1) - 1;
        if (left === 0) this.openByAddress.delete(address);
        else this.openByAddress.set(address, left);
      });
      return;
    }
    if (tls || this.refusedOpen >= this.refusedOpenMax) {
      socket.destroy();
      return;
    }
    this.refusedOpen++;
    this.refused.add(socket);
    socket.once('close', () => void this.refusedOpen--);
    socket.setTimeout(this.refusedIdleMs, () => socket.destroy());
  }

  /** First in the chain: a request on a refused connection is answered 503 and its connection closed. */
  readonly middleware: RequestHandler = (request, response, next) => {
    if (!this.refused.has(request.socket)) return next();
    response.setHeader('Connection', 'close');
    sendError(response, this.refusal());
  };

  /** The answer to a request on a refused connection (also for WebSocket upgrades). */
  refusal(): ApiError {
    return new ApiError(503, 'too-many-connections', `this validator serves at most ${this.limits.max} client connections, ${this.limits.perAddressMax} from one address; close idle ones or retry later`, '', { 'Retry-After': '1' });
  }
}
