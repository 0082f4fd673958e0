/**
 * One webhook delivery (EPCIS 2.0 REST binding, openapi.yaml: POST /queries/{queryName}/
 * subscriptions, callback querySubscriptionResults): an EPCISQueryDocument POSTed to the
 * subscriber's `dest`. With a signatureToken, the body is signed as GS1-Signature: the base64
 * HMAC-SHA256 of the exact body bytes under the token's UTF-8 bytes (the binding leaves the
 * signature's form to the implementation and names HMAC-SHA256 as one; this form is the one
 * other EPCIS 2.0 repositories send).
 *
 * The destination is hostile: the request has a deadline (timeoutMs) from connect to the end of
 * the answer, redirects are failures rather than followed (a 3xx could point anywhere), at most
 * responseBytesMax of the answer are read before the socket is dropped, and internal addresses
 * are not reached unless the operator allows them (destinations.ts). Only a 2xx counts as
 * delivered.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { destinationRefusal, guardedLookup } from './destinations.js';

export const GS1_SIGNATURE_HEADER = 'GS1-Signature';

export interface DeliveryLimits {
  timeoutMs: number;
  responseBytesMax: number;
  /** Whether loopback, private and link-local destinations may be reached (destinations.ts). */
  privateDestinations: boolean;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; reason: string };

export function webhookSignature(signatureToken: string, body: string | Uint8Array): string {
  return createHmac('sha256', Buffer.from(signatureToken, 'utf8')).update(body).digest('base64');
}

export function postWebhook(dest: string, body: string, signatureToken: string | undefined, limits: DeliveryLimits, signal: AbortSignal): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const url = new URL(dest);
    const refusal = destinationRefusal(url, limits.privateDestinations);
    if (refusal !== undefined) return resolve({ ok: false, reason: refusal });
    const bytes = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'application/ld+json; charset=utf-8',
      'content-length': String(bytes.length),
      'GS1-EPCIS-Version': '2.0.0',
      'GS1-CBV-Version': '2.0.0',
      ...(signatureToken === undefined ? {} : { [GS1_SIGNATURE_HEADER]: webhookSignature(signatureToken, bytes) }),
    };
    let settled = false;
    const finish = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: 'POST', headers, agent: false, lookup: guardedLookup(limits.privateDestinations) }, (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > limits.responseBytesMax) finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, reason: `answered ${status}` });
      });
      response.on('end', () => finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, reason: status >= 300 && status < 400 ? `answered ${status}: redirects are not followed` : `answered ${status}` }));
      response.on('error', (error) => finish({ ok: false, reason: error.message }));
    });
    const deadline = setTimeout(() => finish({ ok: false, reason: `no complete answer within ${limits.timeoutMs} ms` }), limits.timeoutMs);
    const onAbort = () => finish({ ok: false, reason: 'the node is stopping' });
    signal.addEventListener('abort', onAbort);
    request.on('error', (error) => finish({ ok: false, reason: error.message }));
    request.end(bytes);
  });
}
