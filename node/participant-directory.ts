/**
 * The participants of the executed state, kept in memory so that admission (mempool and relay)
 * and the checks of proposed blocks, which consensus runs synchronously, can look them up
 * without touching the disk (contracts/admission.ts). Loaded once when the node opens its
 * store, then changed only by the write sets of executed blocks, in the same step that advances
 * the executed height, so that it always shows the state as of that height.
 */
import { assert } from '../ledger/assert.js';
import type { StateWrite } from '../ledger/model/state.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import type { Participant } from '../contracts/participants.js';
import { stateKeys } from '../contracts/state.js';

/** Participants one node holds in memory; far more than a consortium has (about 1 KiB each). */
const PARTICIPANTS_IN_MEMORY_MAX = 100_000;
const PARTICIPANT_PREFIX = stateKeys.participant('');

export class ParticipantDirectory {
  private readonly participants = new Map<string, Participant>();

  static async load(store: BlockStore): Promise<ParticipantDirectory> {
    const directory = new ParticipantDirectory();
    directory.apply(
      (await store.statesWithPrefix(PARTICIPANT_PREFIX, PARTICIPANTS_IN_MEMORY_MAX)).map((entry) => ({ key: entry.key, value: entry.value as StateWrite['value'] })),
    );
    return directory;
  }

  /** The participant as of the executed height, or undefined if it was never registered. */
  readonly lookup = (id: string): Participant | undefined => this.participants.get(id);

  /** Takes in an executed block's writes (participants are never deleted, only marked removed). */
  apply(writes: readonly StateWrite[]): void {
    for (const write of writes) {
      if (!write.key.startsWith(PARTICIPANT_PREFIX)) continue;
      const id = write.key.slice(PARTICIPANT_PREFIX.length);
      assert(write.value !== null, `participant ${id} was deleted from the state`);
      this.participants.set(id, write.value as unknown as Participant);
    }
    assert(this.participants.size <= PARTICIPANTS_IN_MEMORY_MAX, `more than ${PARTICIPANTS_IN_MEMORY_MAX} participants`);
  }

  get size(): number {
    return this.participants.size;
  }
}
