/**
 * A copy of the safety record outside the consensus store (docs/consensus.md section 3, "A
 * rolled-back store"), as CometBFT keeps priv_validator_state.json apart from its block store.
 * LevelDB recovers a damaged write-ahead log only up to the damage, silently dropping the writes
 * after it; if those held the record of the round just signed, and no certificate the store kept
 * shows that round, the validator could sign a second, different message for it. This file is
 * written with every persist that changes the safety state, and made durable before the step's
 * messages leave, like the store's batch; on start the later of the two wins
 * (consensus/safety-rules.ts, laterSafetyRecord).
 *
 * Layout: two fixed slots of `SLOT_BYTES`, written alternately, so a write torn by a crash
 * leaves the other slot intact (as TigerBeetle keeps copies of its superblock). A slot is
 * MAGIC (4 bytes), its sequence number (8, big-endian), the JSON's length (4), the first 16
 * bytes of SHA-256 over sequence, length and JSON, then the JSON of the SafetyState. Reading
 * takes the valid slot with the highest sequence; a slot that fails its checksum is ignored.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assert } from '../ledger/assert.js';
import { sha256 } from '../ledger/crypto/sha256.js';
import type { SafetyState } from '../consensus/types.js';

/** The copy's file name in a validator's data directory, beside consensus/ and ledger/. */
export const SAFETY_RECORD_COPY_FILE = 'safety-record';
export const SLOT_BYTES = 4096;
const SLOTS = 2;
const MAGIC = Buffer.from('CSR1', 'latin1');
const HEADER_BYTES = 4 + 8 + 4 + 16;
const CHECKSUM_BYTES = 16;
/**
 * Writes through a descriptor opened with O_DSYNC are durable when the write returns: one call
 * on libuv's thread pool per record instead of a write and then an fdatasync, which queued
 * behind the store's own work on that pool on the step before every vote (docs/performance.md,
 * "Levers"). Where the flag does not exist each write is followed by fdatasync, as before.
 */
const DSYNC = constants.O_DSYNC as number | undefined;

function checksum(sequence: bigint, json: Buffer): Buffer {
  const covered = Buffer.alloc(12 + json.length);
  covered.writeBigUInt64BE(sequence, 0);
  covered.writeUInt32BE(json.length, 8);
  json.copy(covered, 12);
  return Buffer.from(sha256(covered).subarray(0, CHECKSUM_BYTES));
}

/** The slot's record, or undefined if the slot is empty, torn or not a safety record. */
export function decodeSlot(slot: Buffer): { sequence: bigint; state: SafetyState } | undefined {
  if (slot.length < HEADER_BYTES || !slot.subarray(0, 4).equals(MAGIC)) return undefined;
  const sequence = slot.readBigUInt64BE(4);
  const length = slot.readUInt32BE(12);
  if (length > SLOT_BYTES - HEADER_BYTES || HEADER_BYTES + length > slot.length) return undefined;
  const json = slot.subarray(HEADER_BYTES, HEADER_BYTES + length);
  if (!checksum(sequence, json).equals(slot.subarray(16, 16 + CHECKSUM_BYTES))) return undefined;
  try {
    const state = JSON.parse(json.toString('utf8')) as SafetyState;
    if (typeof state !== 'object' || state === null || !Number.isSafeInteger(state.epoch) || !Number.isSafeInteger(state.lastVotedRound)) return undefined;
    return { sequence, state };
  } catch {
    return undefined;
  }
}

export function encodeSlot(sequence: bigint, state: SafetyState): Buffer {
  const json = Buffer.from(JSON.stringify(state), 'utf8');
  assert(json.length <= SLOT_BYTES - HEADER_BYTES, `a safety record of ${json.length} bytes does not fit a ${SLOT_BYTES}-byte slot`);
  const slot = Buffer.alloc(SLOT_BYTES);
  MAGIC.copy(slot, 0);
  slot.writeBigUInt64BE(sequence, 4);
  slot.writeUInt32BE(json.length, 12);
  checksum(sequence, json).copy(slot, 16);
  json.copy(slot, HEADER_BYTES);
  return slot;
}

export class SafetyRecordCopy {
  private writing = false;

  private constructor(
    private readonly file: FileHandle,
    private sequence: bigint,
    /** The record read on open; undefined when the file was new or held no valid slot. */
    readonly stored: SafetyState | undefined,
  ) {}

  /** Opens (or creates, durably) the copy at `path` and reads the latest valid record in it. */
  static async open(path: string): Promise<SafetyRecordCopy> {
    let file: FileHandle;
    let created = false;
    try {
      file = await open(path, constants.O_RDWR | (DSYNC ?? 0));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      file = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | (DSYNC ?? 0));
      created = true;
    }
    try {
      if (created) {
        // The new file's directory entry must survive a crash as its contents will.
        await file.sync();
        const directory = await open(dirname(path), 'r');
        await directory.sync().finally(() => directory.close());
      }
      const contents = Buffer.alloc(SLOT_BYTES * SLOTS);
      const { bytesRead } = await file.read(contents, 0, contents.length, 0);
      let latest: { sequence: bigint; state: SafetyState } | undefined;
      for (let slot = 0; slot < SLOTS; slot++) {
        const decoded = decodeSlot(contents.subarray(slot * SLOT_BYTES, Math.min(bytesRead, (slot + 1) * SLOT_BYTES)));
        if (decoded !== undefined && (latest === undefined || decoded.sequence > latest.sequence)) latest = decoded;
      }
      return new SafetyRecordCopy(file, latest?.sequence ?? 0n, latest?.state);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Writes `state` into the older slot and waits until it is on disk (O_DSYNC, or fdatasync where there is none). */
  async write(state: SafetyState): Promise<void> {
    assert(!this.writing, 'two writes of the safety record copy at once');
    this.writing = true;
    try {
      const sequence = this.sequence + 1n;
      const slot = Number(sequence % BigInt(SLOTS));
      await this.file.write(encodeSlot(sequence, state), 0, SLOT_BYTES, slot * SLOT_BYTES);
      if (DSYNC === undefined) await this.file.datasync();
      this.sequence = sequence;
    } finally {
      this.writing = false;
    }
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
