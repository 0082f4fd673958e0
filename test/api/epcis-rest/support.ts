/** Requests to the EPCIS REST binding (/epcis) of an in-process validator, for its tests. */
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import type { ApiNode } from '../support/api-node.js';
import { TOKENS } from '../support/api-node.js';
import { answerOf, type Answer } from '../../support/http-answer.js';

export type { Answer };

export async function epcis(node: ApiNode, method: string, path: string, options: { headers?: Record<string, string>; body?: string | JsonValue; token?: keyof typeof TOKENS } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await fetch(`${node.url}/epcis${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/ld+json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${TOKENS[options.token]}` }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  return answerOf(response);
}

/** Polls a capture job until it is no longer running (each poll a request; no fixed sleeps beyond a short pause). */
export async function settledJob(node: ApiNode, location: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await fetch(`${node.url}${location}`).then((response) => response.json() as Promise<any>);
    if (job.running === false) return job;
    if (Date.now() > deadline) throw new Error(`capture job ${location} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
