/**
 * Helpers for the participant gateway's tests: an in-process gateway with short timers, requests
 * to it with its bearer token, a TCP proxy in front of a validator that a test can cut (every
 * connection refused and the open ones dropped, as in a partition) and restore, and polling of a
 * capture job until it settles.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { startGateway, type GatewayStartOptions, type RunningGateway } from '../../../tools/gateway/start-gateway.js';
import { answerOf, type Answer } from '../../support/http-answer.js';

export interface TestGateway extends RunningGateway {
  token: string;
  warnings: string[];
}

/** Timers short enough for tests: backoff from 20 ms to 300 ms, 100 ms pauses, 1 s commit waits. */
export const FAST_GATEWAY = {
  link: { backoffBaseMs: 20, backoffMaxMs: 300, timeoutMs: 5_000 },
  forwarder: { pollMs: 50, commitWaitMs: 1_000 },
} as const;

export async function startTestGateway(options: { validators: string[]; dataDirectory: string; keyFile: string; genesisFile?: string } & Partial<GatewayStartOptions>): Promise<TestGateway> {
  const warnings: string[] = [];
  const started = await startGateway({
    listen: { host: '127.0.0.1', port: 0 },
    logger: { info: () => undefined, warn: (fields, message) => warnings.push(`${message} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? value.message : value))}`) },
    ...FAST_GATEWAY,
    ...options,
  });
  if (!started.ok) throw new Error(started.message);
  const token = (await readFile(started.tokenFile, 'utf8')).trim();
  return { ...started, token, warnings };
}


export async function request(gateway: { url: string; token: string }, method: string, path: string, options: { headers?: Record<string, string>; body?: string | JsonValue; token?: string | null } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const token = options.token === undefined ? gateway.token : options.token;
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/ld+json' }),
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  return answerOf(response);
}

/** Polls a capture job through the gateway until `done` holds of it (each poll a request, a short pause between). */
export async function jobWhen(gateway: { url: string; token: string }, location: string, done: (job: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await request(gateway, 'GET', location);
    if (answer.status === 200 && done(answer.body)) return answer.body;
    if (Date.now() > deadline) throw new Error(`capture job ${location} did not reach the state waited for within ${timeoutMs} ms: ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const settled = (job: any) => job.running === false;

export interface CuttableProxy {
  url: string;
  port: number;
  /** Refuses new connections and drops the open ones. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port) on a port of its own, which stays the same across cuts. */
export async function cuttableProxy(target: URL, port = 0): Promise<CuttableProxy> {
  let open = true;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (!open) return client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    cut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      open = true;
    },
    close: async () => {
      open = false;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function dataIn(directory: string, name: string): string {
  return join(directory, name);
}

/** Waits until `condition` holds, polling; fails with `what` past the deadline. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
