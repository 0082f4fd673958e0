/**
 * The participant gateway's HTTP path to the validators it was given (docs/epcis.md,
 * "Participant gateway"): one request at a time to one validator, with a timeout and a bound on
 * the answer's bytes, reads signed as the participant (api/http/read-signature.ts), and the
 * failover state: the validator in use is kept while it answers; one that cannot be reached, times
 * out, answers 5xx or garbage is put in backoff (doubling per failure, up to a cap) and the next
 * is tried. When every validator is backing off, nothing is sent until the earliest backoff ends.
 *
 * Every byte a validator sends is hostile: answers are parsed within their byte limit and by
 * schema where the gateway acts on them, and a commit is believed only with a proof (forwarder.ts).
 */
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { signReadRequest } from '../../api/http/read-signature.js';

export interface ValidatorLinkOptions {
  urls: readonly string[];
  chainId: string;
  signer: TransactionSigner;
  /** Per request, connection to last byte. */
  timeoutMs: number;
  /** Bytes of one answer read; a longer one counts as a failure of the validator. */
  answerBytesMax: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  now?: () => number;
}

export const DEFAULT_LINK_OPTIONS = { timeoutMs: 10_000, answerBytesMax: 32 * 1024 * 1024, backoffBaseMs: 250, backoffMaxMs: 30_000 } as const;

export interface ValidatorHealth {
  url: string;
  /** Failures in a row; 0 once it answers. */
  failures: number;
  /** Not tried again before this time (ms since the epoch). */
  retryAt: number;
  lastError?: string;
}

export interface ValidatorAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The answer as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** The validator could not be used for this request: unreachable, too slow, 5xx, too large or garbage. */
export class ValidatorFailure extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** No validator can be tried now; the earliest may be tried again in `retryInMs`. */
export class NoValidatorAvailable extends Error {
  constructor(readonly retryInMs: number) {
    super(`no validator is reachable now; the next attempt is in ${retryInMs} ms`);
  }
}

async function readBounded(response: Response, bytesMax: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > bytesMax) throw new ValidatorFailure(url, `an answer of ${declared} bytes, more than the ${bytesMax} read`);
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > bytesMax) throw new ValidatorFailure(url, `an answer longer than the ${bytesMax} bytes read`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class ValidatorLink {
  readonly validators: ValidatorHealth[];
  private current = 0;
  private readonly now: () => number;

  constructor(readonly options: ValidatorLinkOptions) {
    this.validators = options.urls.map((url) => ({ url: url.replace(/\/+$/, ''), failures: 0, retryAt: 0 }));
    this.now = options.now ?? Date.now;
  }

  /** The validator to use now: the one in use unless it is backing off, else the next that is not. */
  choose(): ValidatorHealth | undefined {
    const now = this.now();
    for (let step = 0; step < this.validators.length; step++) {
      const index = (this.current + step) % this.validators.length;
      if (this.validators[index]!.retryAt <= now) {
        this.current = index;
        return this.validators[index];
      }
    }
    return undefined;
  }

  /** How long until some validator may be tried again (0 when one may now). */
  retryInMs(): number {
    const now = this.now();
    return Math.max(0, Math.min(...this.validators.map((validator) => validator.retryAt)) - now);
  }

  succeeded(validator: ValidatorHealth): void {
    validator.failures = 0;
    validator.retryAt = 0;
    delete validator.lastError;
  }

  /** Puts the validator in backoff; the next choice moves on to another. */
  failed(validator: ValidatorHealth, reason: string): void {
    validator.failures += 1;
    validator.lastError = reason.slice(0, 512);
    validator.retryAt = this.now() + Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.min(validator.failures - 1, 30));
    const index = this.validators.indexOf(validator);
    if (index === this.current) this.current = (index + 1) % this.validators.length;
  }

  /**
   * One request to one validator. Throws ValidatorFailure when it cannot be used (the caller
   * decides whether to mark it failed); any HTTP status below 500 is an answer.
   */
  async request(validator: ValidatorHealth, method: 'GET' | 'POST', path: string, options: { body?: string; signed?: boolean; accept?: string; signal?: AbortSignal } = {}): Promise<ValidatorAnswer> {
    const url = `${validator.url}${path}`;
    const { signer, chainId } = this.options;
    const headers: Record<string, string> = {
      accept: options.accept ?? 'application/json',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      // The validator checks the signature over the path and query exactly as they arrive.
      ...(options.signed === true ? signReadRequest(chainId, signer.participant, signer.seed, method, new URL(url).pathname + new URL(url).search, this.now()) : {}),
    };
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: options.body }), signal, redirect: 'manual' });
      text = await readBounded(response, this.options.answerBytesMax, validator.url);
    } catch (error) {
      if (error instanceof ValidatorFailure) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ValidatorFailure(validator.url, `${(error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message}${cause === undefined ? '' : ` (${cause})`}`);
    }
    if (response.status >= 500) throw new ValidatorFailure(validator.url, `HTTP ${response.status}: ${text.slice(0, 200)}`);
    if (response.status >= 300 && response.status < 400) throw new ValidatorFailure(validator.url, `HTTP ${response.status}: a redirect, which is never followed`);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /**
   * A read from whichever validator answers: the one in use, then each other not backing off;
   * a validator that fails is put in backoff. Throws NoValidatorAvailable when none answered.
   * `unusable` says why an answer is not one the API gives (then that validator failed too).
   */
  async read(path: string, options: { accept?: string; signal?: AbortSignal; unusable?: (answer: ValidatorAnswer) => string | undefined } = {}): Promise<ValidatorAnswer> {
    const { unusable, ...requestOptions } = options;
    for (let tried = 0; tried < this.validators.length; tried++) {
      const validator = this.choose();
      if (validator === undefined) break;
      try {
        const answer = await this.request(validator, 'GET', path, { signed: true, ...requestOptions });
        const reason = unusable?.(answer);
        if (reason !== undefined) throw new ValidatorFailure(validator.url, reason);
        this.succeeded(validator);
        return answer;
      } catch (error) {
        if (!(error instanceof ValidatorFailure)) throw error;
        this.failed(validator, error.message);
      }
    }
    throw new NoValidatorAvailable(this.retryInMs());
  }
}
