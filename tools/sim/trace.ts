/**
 * The replayable record of one simulated run: one line per delivered or dropped message, per
 * commit and per fault event, each stamped with virtual time. Two runs of one seed must produce
 * byte-identical traces (the determinism test compares them), so lines hold only values derived
 * from the seed: never wall-clock time, object identities or iteration over unordered sets.
 */
import { blockHash } from '../../ledger/model/block.js';
import { certificateRound, type ConsensusMessage } from '../../consensus/messages.js';

/** A 60-second run of 10 validators writes tens of thousands of lines; this keeps a runaway run from exhausting memory. */
export const TRACE_LINES_MAX = 400_000;

export class Trace {
  readonly lines: string[] = [];
  #truncated = false;

  constructor(readonly enabled: boolean) {}

  add(nowMs: number, text: string): void {
    if (!this.enabled) return;
    if (this.lines.length >= TRACE_LINES_MAX) {
      if (!this.#truncated) this.lines.push(`${formatTime(nowMs)} trace truncated at ${TRACE_LINES_MAX} lines`);
      this.#truncated = true;
      return;
    }
    this.lines.push(`${formatTime(nowMs)} ${text}`);
  }
}

export function formatTime(nowMs: number): string {
  return String(nowMs).padStart(7, '0');
}

function short(hash: string): string {
  return hash.slice(0, 8);
}

/** One line's worth of a message: enough to follow a run, short enough to read thousands. */
export function describeMessage(message: ConsensusMessage): string {
  switch (message.kind) {
    case 'proposal': {
      const header = message.block.header;
      const timeout = message.timeoutCertificate === null ? '' : ` tc=r${message.timeoutCertificate.round}`;
      return `proposal r${header.round} h${header.height} ${short(blockHash(header))} by ${header.proposer} txs=${header.txCount} qc=r${certificateRound(message.justify)}${timeout}`;
    }
    case 'vote':
      return `vote ${message.validator} r${message.vote.round} h${message.vote.height} ${short(message.vote.blockHash)}`;
    case 'timeout':
      return `timeout ${message.validator} r${message.round} hqc=r${certificateRound(message.highQc)}${message.highTc === null ? '' : ` htc=r${message.highTc.round}`}`;
    case 'sync-info':
      return `sync-info hqc=r${certificateRound(message.highQc)}${message.highTc === null ? '' : ` htc=r${message.highTc.round}`}`;
    case 'block-request':
      return `block-request #${message.requestId} ${short(message.blockHash)} count=${message.count}`;
    case 'block-response':
      return `block-response #${message.requestId} blocks=${message.blocks.length} committed=h${message.committedHeight}`;
    case 'committed-request':
      return `committed-request from=h${message.fromHeight} count=${message.count}`;
    case 'committed-response': {
      const first = message.blocks[0]?.block.header.height;
      const last = message.blocks.at(-1)?.block.header.height;
      return `committed-response blocks=${message.blocks.length}${first === undefined ? '' : ` h${first}..h${last}`}`;
    }
  }
}
