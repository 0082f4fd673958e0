/**
 * The body of a witness's add-checkpoint request (c2sp.org/tlog-witness, "add-checkpoint"):
 *
 *   old <size>\n
 *   <consistency proof hash, base64>\n   (zero to 63 lines; none when old is 0)
 *   \n
 *   <the signed checkpoint note>
 *
 * and the 409 answer's body, the witness's latest cosigned size in decimal and a newline
 * (Content-Type text/x.tlog.size).
 */
import { fromBase64, toBase64 } from '../encoding/base64.js';
import { MERKLE_SIZE_MAX, type Hash } from '../merkle/index.js';
import { NOTE_LIMITS } from './note.js';

/** The spec's bound on consistency proof lines. */
export const CONSISTENCY_PROOF_LINES_MAX = 63;
/** The old-size line and 63 proof lines before the note. */
export const ADD_CHECKPOINT_BYTES_MAX = NOTE_LIMITS.noteBytesMax + 64 * 64;
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
const SIZE_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Hash[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
}

export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  return `old ${request.oldSize}\n${request.proof.map((hash) => `${toBase64(hash)}\n`).join('')}\n${request.checkpoint}`;
}

export type AddCheckpointParse = { ok: true; request: AddCheckpointRequest } | { ok: false; message: string };

export function parseAddCheckpoint(body: string): AddCheckpointParse {
  if (body.length > ADD_CHECKPOINT_BYTES_MAX) return { ok: false, message: `a request of more than ${ADD_CHECKPOINT_BYTES_MAX} bytes` };
  const lines: string[] = [];
  let rest = body;
  for (;;) {
    const end = rest.indexOf('\n');
    if (end < 0) return { ok: false, message: 'no empty line before the checkpoint' };
    const line = rest.slice(0, end);
    rest = rest.slice(end + 1);
    if (line === '') break;
    if (lines.length > CONSISTENCY_PROOF_LINES_MAX) return { ok: false, message: `more than ${CONSISTENCY_PROOF_LINES_MAX} consistency proof lines` };
    lines.push(line);
  }
  const [oldLine, ...proofLines] = lines;
  const oldSize = oldLine?.startsWith('old ') === true ? oldLine.slice(4) : undefined;
  if (oldSize === undefined || !SIZE_PATTERN.test(oldSize) || Number(oldSize) > MERKLE_SIZE_MAX) return { ok: false, message: 'the first line is not "old <size>"' };
  const proof: Hash[] = [];
  for (const line of proofLines) {
    const hash = fromBase64(line);
    if (hash === undefined || hash.length !== 32) return { ok: false, message: 'a consistency proof line is not a 32-byte hash in base64' };
    proof.push(hash);
  }
  if (Number(oldSize) === 0 && proof.length > 0) return { ok: false, message: 'a proof from size 0 must be empty' };
  return { ok: true, request: { oldSize: Number(oldSize), proof, checkpoint: rest } };
}

/** The witness's latest size from a 409 body, or undefined when the body is not one. */
export function parseTlogSize(body: string): number | undefined {
  const match = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  return match === null || Number(match[1]) > MERKLE_SIZE_MAX ? undefined : Number(match[1]);
}
