/**
 * Participants and roles: the organisations of the consortium (each named by a GS1 PGLN or GLN
 * URN), their roles, their registered ed25519 keys and the GS1 company prefixes they own, and
 * the consortium's admins and approval thresholds. Genesis defines them (the `consortium`
 * member of the genesis document); governance changes them.
 */
import { z } from 'zod';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { fromHex } from '../ledger/encoding/hex.js';
import { checkRegistrableKey } from '../ledger/crypto/ed25519-reference.js';
import { publicKeyHex } from '../ledger/model/primitives.js';
import type { StateWrite } from '../ledger/model/state.js';
import { describeZodError } from '../ledger/model/zod-errors.js';
import { sortWriteSet } from '../ledger/model/state.js';
import { stateKeys, type StateReader } from './state.js';

export const ROLES = ['producer', 'processor', 'carrier', 'distributor', 'retailer', 'laboratory', 'inspector', 'regulator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const CONTRACT_LIMITS = {
  participantsMax: 10_000,
  keysPerParticipantMax: 16,
  companyPrefixesPerParticipantMax: 64,
  rolesPerParticipantMax: ROLES.length,
} as const;

/** `urn:epc:id:pgln:<company prefix>.<party reference>` or `urn:epc:id:sgln:...` (a GLN). */
export const participantId = z
  .string()
  .max(256)
  .regex(/^urn:epc:id:(pgln|sgln):[0-9]{4,12}\.[0-9A-Za-z]*(\.[0-9A-Za-z]+)?$/, 'expected a GS1 PGLN or GLN URN such as urn:epc:id:pgln:0614141.00001');

/** A GS1 company prefix: 4 to 12 digits. */
export const companyPrefix = z.string().regex(/^[0-9]{4,12}$/, 'expected a GS1 company prefix of 4 to 12 digits');

export const registeredKeySchema = z.strictObject({
  publicKey: publicKeyHex,
  status: z.enum(['active', 'revoked']).default('active'),
});

export const participantSchema = z.strictObject({
  id: participantId,
  name: z.string().min(1).max(256),
  roles: z.array(z.enum(ROLES)).min(1).max(CONTRACT_LIMITS.rolesPerParticipantMax),
  keys: z.array(registeredKeySchema).min(1).max(CONTRACT_LIMITS.keysPerParticipantMax),
  companyPrefixes: z.array(companyPrefix).max(CONTRACT_LIMITS.companyPrefixesPerParticipantMax).default([]),
  status: z.enum(['active', 'removed']).default('active'),
});
export type Participant = z.infer<typeof participantSchema>;

export const consortiumSchema = z.strictObject({
  participants: z.array(participantSchema).min(1).max(CONTRACT_LIMITS.participantsMax),
  /** Participants (with the admin role) whose k-of-n approval governance changes need. */
  admins: z.array(participantId).min(1),
  thresholds: z.strictObject({ governance: z.number().int().min(1) }),
});
export type Consortium = z.infer<typeof consortiumSchema>;

/** What the state keeps under `consortium`: the admins and thresholds (participants have their own keys). */
export interface ConsortiumRecord {
  admins: string[];
  thresholds: { governance: number };
}

export type ConsortiumLoad = { ok: true; consortium: Consortium } | { ok: false; path: string; message: string };

/** Parses genesis.consortium: unique ids and keys, registrable keys, admins that exist and hold the admin role. */
export function loadConsortium(input: JsonValue | undefined): ConsortiumLoad {
  const parsed = consortiumSchema.safeParse(input);
  if (!parsed.success) {
    const { path, message } = describeZodError(parsed.error);
    return { ok: false, path: `consortium.${path}`, message: `consortium.${message}` };
  }
  const consortium = parsed.data;
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const [index, participant] of consortium.participants.entries()) {
    const problem = participantProblem(participant, ids, keys);
    if (problem !== undefined) return { ok: false, path: `consortium.participants.${index}.${problem.field}`, message: problem.message };
    ids.add(participant.id);
    for (const key of participant.keys) keys.add(key.publicKey);
  }
  for (const [index, admin] of consortium.admins.entries()) {
    const participant = consortium.participants.find((candidate) => candidate.id === admin);
    if (participant === undefined || !participant.roles.includes('admin')) {
      return { ok: false, path: `consortium.admins.${index}`, message: `admin ${admin} is not a participant with the admin role` };
    }
  }
  if (consortium.thresholds.governance > consortium.admins.length) {
    return { ok: false, path: 'consortium.thresholds.governance', message: `governance threshold ${consortium.thresholds.governance} exceeds the ${consortium.admins.length} admins` };
  }
  return { ok: true, consortium };
}

/** What makes a participant unacceptable next to those already registered, or undefined. */
export function participantProblem(participant: Participant, existingIds: ReadonlySet<string>, existingKeys: ReadonlySet<string>): { field: string; message: string } | undefined {
  if (existingIds.has(participant.id)) return { field: 'id', message: `participant ${participant.id} appears twice` };
  for (const [index, key] of participant.keys.entries()) {
    if (existingKeys.has(key.publicKey)) return { field: `keys.${index}.publicKey`, message: `key ${key.publicKey} is already registered` };
    const check = checkRegistrableKey(fromHex(key.publicKey));
    if (!check.ok) return { field: `keys.${index}.publicKey`, message: `key of ${participant.id}: ${check.message}` };
  }
  return undefined;
}

/** The initial state for the store (its write set at height 0). */
export function genesisWrites(consortium: Consortium): StateWrite[] {
  const writes: StateWrite[] = consortium.participants.flatMap((participant) => [
    { key: stateKeys.participant(participant.id), value: participant as unknown as JsonValue },
    ...participant.keys.map((key) => ({ key: stateKeys.key(key.publicKey), value: participant.id })),
  ]);
  const record: ConsortiumRecord = { admins: consortium.admins, thresholds: consortium.thresholds };
  writes.push({ key: stateKeys.consortium(), value: record as unknown as JsonValue });
  return sortWriteSet(writes);
}

export async function readParticipant(state: StateReader, id: string): Promise<Participant | undefined> {
  return (await state.get(stateKeys.participant(id))) as Participant | undefined;
}

export async function readConsortium(state: StateReader): Promise<ConsortiumRecord> {
  const record = (await state.get(stateKeys.consortium())) as ConsortiumRecord | undefined;
  if (record === undefined) throw new Error('the state has no consortium record: genesis was not applied');
  return record;
}

export function hasRole(participant: Participant, role: Role): boolean {
  return participant.status === 'active' && participant.roles.includes(role);
}

/** The company prefix of an EPC or EPC class URN (SGTIN, SSCC, SGLN, GRAI, GIAI, LGTIN, ...). */
export function companyPrefixOf(identifier: string): string | undefined {
  const match = /^urn:epc:(?:id|class|idpat):[a-z]+:([0-9]{4,12})\./.exec(identifier);
  return match?.[1];
}
