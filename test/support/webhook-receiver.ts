/**
 * A webhook destination for subscription tests (the EPCIS binding's on a validator and on the
 * participant gateway): an HTTP server on this machine that records each delivery, answers 500
 * while `failing` is set, and lets a test wait until a condition on what arrived holds.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
  /** When it arrived (ms since the epoch). */
  receivedAt: number;
}

/** A webhook destination: records what arrives; answers 500 while `failing` is set. */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  failures = 0;
  failing = false;
  private readonly waiters = new Set<() => void>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (receiver.failing) {
          receiver.failures += 1;
          response.statusCode = 500;
        } else {
          receiver.deliveries.push({ headers: request.headers, text, body: JSON.parse(text), receivedAt: Date.now() });
        }
        response.end();
        for (const wake of receiver.waiters) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `condition` holds, re-checked on every request that arrives. */
  until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // close() ends only the connections idle at that moment; a sender's kept-alive one that is
    // busy then would hold the server open.
    this.server.closeAllConnections();
    return closed;
  }
}
