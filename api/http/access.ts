/**
 * Read access to the query API (issue 6, "Access"). Writes are authorised by the participant
 * signatures inside each transaction and are not handled here. Reads need one of two credentials:
 *
 * - `Authorization: Bearer <token>`: a read token the operator configured for an organisation
 *   (config api.readTokens: {token, participant, scope: 'read'});
 * - a request signed with one of the participant's active registered keys (read-signature.ts).
 *
 * Either way the reader is a participant of the consortium, looked up in the current state.
 * Auditors and regulators (role auditor or regulator) read everything; any other participant
 * reads only events to which it is a party (StoredEvent.participants: signers, owners, sources
 * and destinations). No credential is 401; a credential for someone else's data is 403.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { fromHex } from '../../ledger/encoding/hex.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { hasRole, participantId, readParticipant, type Participant, type Role } from '../../contracts/participants.js';
import type { StateReader } from '../../contracts/state.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { READ_SIGNATURE_CLOCK_SKEW_MS, READ_SIGNATURE_HEADERS, verifyReadRequest } from './read-signature.js';

export interface Reader {
  participant: string;
  roles: readonly Role[];
  /** Auditors and regulators read everything; others only what they are a party to. */
  readsEverything: boolean;
  /** How the reader proved who it is; `subscription`: a stored subscription reading as the participant who made it. */
  credential: 'token' | 'signature' | 'subscription';
}

/** Roles whose holders read every event, item and proof. */
export const READ_EVERYTHING_ROLES: readonly Role[] = ['auditor', 'regulator'];

const BEARER_PATTERN = /^Bearer ([\x21-\x7e]{1,512})$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,16}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{128}$/;
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="custodia", error="invalid_token"' };

/** The contracts' view of the node's current state. */
export function stateReader(store: BlockStore): StateReader {
  return { get: async (key) => (await store.getState(key)) as JsonValue | undefined };
}

/**
 * The same view, each read through LevelDB's synchronous get (BlockStore.getStateSync): for the
 * credential check, which reads one participant record before every authenticated answer. The
 * consortium's participant records are few, small and read on every request, so LevelDB answers
 * from its cache in microseconds, where an asynchronous get is a round trip through libuv's
 * thread pool that the answer waits for (two context switches; on a loaded box, a wait for a pool
 * thread and then for the event loop). The record read is the current one either way: a
 * participant deactivated or a key revoked is refused from the next request on, as before.
 */
export function credentialStateReader(store: BlockStore): StateReader {
  return { get: async (key) => store.getStateSync(key) as JsonValue | undefined };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function unauthorized(code: string, message: string, path: string): ApiError {
  return new ApiError(401, code, message, path, CHALLENGE);
}

export function forbidden(message: string, path = ''): ApiError {
  return new ApiError(403, 'not-a-party', message, path);
}

function singleHeader(request: Request, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export function readerOfParticipant(participant: Participant, credential: Reader['credential']): Reader {
  return {
    participant: participant.id,
    roles: participant.roles,
    readsEverything: READ_EVERYTHING_ROLES.some((role) => hasRole(participant, role)),
    credential,
  };
}

export class ReadAccess {
  /** Tokens are compared by digest, in constant time, so response timing reveals nothing of them. */
  private readonly tokens: Array<{ digest: Buffer; participant: string }>;
  private readonly state: StateReader;

  constructor(private readonly context: ValidatorContext, private readonly now: () => number = Date.now) {
    this.tokens = context.config.api.readTokens.filter((entry) => entry.scope === 'read').map((entry) => ({ digest: digest(entry.token), participant: entry.participant }));
    this.state = credentialStateReader(context.store);
  }

  /** Express middleware: resolves the reader or answers 401; the reader is in response.locals. */
  readonly require = async (request: Request, response: Response, next: NextFunction): Promise<void> => {
    response.locals['reader'] = await this.authenticate(request);
    next();
  };

  async authenticate(request: Request): Promise<Reader> {
    const authorization = singleHeader(request, 'authorization');
    if (authorization !== undefined) return this.byToken(authorization);
    const signedBy = singleHeader(request, READ_SIGNATURE_HEADERS.participant);
    const timestamp = singleHeader(request, READ_SIGNATURE_HEADERS.timestamp);
    const signature = singleHeader(request, READ_SIGNATURE_HEADERS.signature);
    if (signedBy === undefined && timestamp === undefined && signature === undefined) {
      throw unauthorized('credential-required', 'reading needs a credential: Authorization: Bearer <read token>, or a request signed with a participant key (x-custodia-participant, x-custodia-timestamp, x-custodia-signature)', 'authorization');
    }
    return this.bySignature(request, signedBy, timestamp, signature);
  }

  private async byToken(authorization: string): Promise<Reader> {
    const match = BEARER_PATTERN.exec(authorization);
    if (match === null) throw unauthorized('bad-credential', 'the Authorization header must be "Bearer <token>"', 'authorization');
    const candidate = digest(match[1]!);
    let participantOfToken: string | undefined;
    // Every configured token is compared, so the time taken does not say which one came close.
    for (const entry of this.tokens) if (timingSafeEqual(entry.digest, candidate)) participantOfToken = entry.participant;
    if (participantOfToken === undefined) throw unauthorized('unknown-token', 'the bearer token is not a read token of this node', 'authorization');
    const participant = await readParticipant(this.state, participantOfToken);
    if (participant === undefined || participant.status !== 'active') {
      throw unauthorized('participant-inactive', `the token's participant ${participantOfToken} is not an active participant`, 'authorization');
    }
    return readerOfParticipant(participant, 'token');
  }

  private async bySignature(request: Request, signedBy: string | undefined, timestamp: string | undefined, signature: string | undefined): Promise<Reader> {
    if (signedBy === undefined || !participantId.safeParse(signedBy).success) {
      throw unauthorized('bad-credential', `${READ_SIGNATURE_HEADERS.participant} must name a participant (a PGLN or GLN URN)`, READ_SIGNATURE_HEADERS.participant);
    }
    if (timestamp === undefined || !TIMESTAMP_PATTERN.test(timestamp)) {
      throw unauthorized('bad-credential', `${READ_SIGNATURE_HEADERS.timestamp} must be the signing time in milliseconds since the epoch`, READ_SIGNATURE_HEADERS.timestamp);
    }
    if (signature === undefined || !SIGNATURE_PATTERN.test(signature)) {
      throw unauthorized('bad-credential', `${READ_SIGNATURE_HEADERS.signature} must be an ed25519 signature: 128 lowercase hex digits`, READ_SIGNATURE_HEADERS.signature);
    }
    const signedAt = Number(timestamp);
    if (Math.abs(this.now() - signedAt) > READ_SIGNATURE_CLOCK_SKEW_MS) {
      throw unauthorized('stale-signature', `the request was signed at ${signedAt}, more than ${READ_SIGNATURE_CLOCK_SKEW_MS / 60_000} minutes from the server's time`, READ_SIGNATURE_HEADERS.timestamp);
    }
    const participant = await readParticipant(this.state, signedBy);
    if (participant === undefined || participant.status !== 'active') {
      throw unauthorized('unknown-participant', `${signedBy} is not an active participant`, READ_SIGNATURE_HEADERS.participant);
    }
    const signatureBytes = fromHex(signature);
    const verified = participant.keys.some(
      (key) => key.status === 'active' && verifyReadRequest(fromHex(key.publicKey), this.context.config.chainId, request.method, request.originalUrl, signedAt, signatureBytes),
    );
    if (!verified) {
      throw unauthorized('bad-signature', `the signature does not verify under any active key of ${signedBy} for ${request.method} ${request.originalUrl}`, READ_SIGNATURE_HEADERS.signature);
    }
    return readerOfParticipant(participant, 'signature');
  }
}

/** The reader resolved by ReadAccess.require for this request. */
export function readerOf(response: Response): Reader {
  const reader = response.locals['reader'] as Reader | undefined;
  if (reader === undefined) throw new Error('route served without ReadAccess.require');
  return reader;
}

export function canReadEvent(reader: Reader, event: Pick<StoredEvent, 'participants'>): boolean {
  return reader.readsEverything || event.participants.includes(reader.participant);
}
