/**
 * One HTTP request to a peer outside the validator set (a witness, a validator an auditor
 * watches), with a deadline and a bound on the answer's bytes: the body is read chunk by chunk
 * and the request aborted once it exceeds `bytesMax`, so a hostile server can make the caller
 * hold neither a large body nor a connection for long. Failures are values.
 */
export interface BoundedFetchOptions {
  /** Whole request, answer included. */
  timeoutMs: number;
  /** Bytes of the answer's body. */
  bytesMax: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

export type BoundedResponse = { ok: true; status: number; headers: Headers; body: Uint8Array } | { ok: false; message: string };

export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      signal: controller.signal,
      redirect: 'error',
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    const chunks: Uint8Array[] = [];
    let length = 0;
    const reader = response.body?.getReader();
    for (;;) {
      const next = reader === undefined ? { done: true as const, value: undefined } : await reader.read();
      if (next.done) break;
      length += next.value.length;
      if (length > options.bytesMax) {
        controller.abort();
        return { ok: false, message: `${url} answered more than ${options.bytesMax} bytes` };
      }
      chunks.push(next.value);
    }
    const body = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    return { ok: true, status: response.status, headers: response.headers, body };
  } catch (error) {
    return { ok: false, message: `${url}: ${controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

export function bodyText(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}
