/**
 * The node's side of validator-set epochs (docs/consensus.md, "Validator-set epochs"): the
 * epoch the core resumes in, read from the ledger; and whom the transport admits and dials,
 * which is the current set together with any scheduled one, so that a joining validator can
 * catch up before its epoch begins and the outgoing set can still finish the old epoch.
 */
import { assert } from '../ledger/assert.js';
import { blockHash } from '../ledger/model/block.js';
import { ValidatorSet, type Validator } from '../ledger/model/validator-set.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import type { EpochConfig, ScheduledValidatorSet } from '../consensus/types.js';
import type { PeerAddress } from './transport/index.js';

/** The epoch of the block after the ledger's head, as the core needs it (undefined for epoch 0). */
export async function resumedEpoch(store: BlockStore): Promise<{ config: EpochConfig | undefined; members: readonly Validator[] }> {
  const epoch = store.epochAt(store.head().height + 1);
  if (epoch.number === 0) return { config: undefined, members: epoch.members };
  const root = await store.getBlock(epoch.startHeight - 1);
  assert(root !== undefined, `the store lacks block ${epoch.startHeight - 1}, the root of epoch ${epoch.number}`);
  return {
    config: { number: epoch.number, validators: epoch.validators, startHeight: epoch.startHeight, rootHash: blockHash(root.header), rootTimestamp: root.header.timestamp },
    members: epoch.members,
  };
}

/**
 * The validators the transport admits: the current members, then the scheduled set's new ones.
 * A scheduled member that reuses a current member's key (a rotation) waits for its epoch.
 */
export function admittedValidators(current: readonly Validator[], scheduled: ScheduledValidatorSet | undefined): ValidatorSet {
  const members = [...current];
  const ids = new Set(current.map((validator) => validator.id));
  const keys = new Set(current.map((validator) => validator.publicKey));
  for (const validator of scheduled?.validators ?? []) {
    if (ids.has(validator.id) || keys.has(validator.publicKey)) continue;
    members.push(validator);
    ids.add(validator.id);
    keys.add(validator.publicKey);
  }
  const set = ValidatorSet.create(members);
  assert(set.ok, `the admitted validators do not form a set: ${set.ok ? '' : set.message}`);
  return set.set;
}

/** The operator's peer list, plus the governed address of any admitted validator it does not name. */
export function peerAddressBook(configured: readonly PeerAddress[], admitted: ValidatorSet, members: readonly Validator[], self: string): PeerAddress[] {
  const book = [...configured];
  const known = new Set(configured.map((peer) => peer.id));
  for (const member of members) {
    if (member.id === self || known.has(member.id) || member.address === undefined || admitted.get(member.id) === undefined) continue;
    book.push({ id: member.id, address: member.address });
    known.add(member.id);
  }
  return book;
}
