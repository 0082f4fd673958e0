/**
 * CPU cost of the consensus wire path, in-process (issue 12, "Cheap framing"; docs/performance.md,
 * "Levers"): for realistic consensus messages, the sender's encode and frame and the receiver's
 * frame parse and decode, timed with process.cpuUsage() over many repetitions. No sockets: what
 * the WebSocket library does with the bytes is the same for every path.
 *
 *   npx tsx tools/bench/consensus-wire.ts [--path json|binary|both] [--rounds N] [--json]
 *
 * `json` is the path before issue 12's binary frame (the JSON form with base64 payloads in a text
 * frame, which the simulator still uses); `binary` is what validators send now.
 *
 * Messages (a 4-validator chain, so certificates carry 3 signatures): proposals whose reference
 * payloads name 100, 300 and 1,000 transactions (64 bytes each, node/payload.ts), votes,
 * timeouts carrying a QC, and a committed-response of 8 blocks of 200 full transactions (the
 * RFC 8785 array of real signed EPCIS captures, as the driver serves from the ledger).
 */
import { decodeMessage, decodeMessageBytes, encodeMessage, encodeMessageParts } from '../../consensus/codec.js';
import type { ConsensusMessage, ProposedBlock } from '../../consensus/messages.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { keyPairFromSeed } from '../../ledger/crypto/ed25519.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import type { BlockHeader } from '../../ledger/model/block.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';
import { signTransaction, type Transaction } from '../../ledger/model/transaction.js';
import { encodePayload, REFERENCE_PAYLOAD_TAG, TRANSACTION_REFERENCE_BYTES } from '../../node/payload.js';
import * as frames from '../../node/transport/frames.js';
import { commissioningDocument } from './workload.js';

const CHANNEL = 'consensus';
const FRAME_BYTES_MAX = 24 * 1024 * 1024;

interface WirePath {
  name: string;
  /** What the sender does once per message (a broadcast encodes once for every peer). */
  encode(message: ConsensusMessage, epoch: number): Uint8Array;
  /** What each receiver does: parse the frame and decode the message; false on any refusal. */
  decode(frame: Uint8Array): boolean;
}

const jsonPath: WirePath = {
  name: 'json',
  encode: (message, epoch) => frames.encodeFrame(CHANNEL, encodeMessage(message, epoch)),
  decode: (frame) => {
    const parsed = frames.parseFrame(frame, false, { frameBytesMax: FRAME_BYTES_MAX });
    return parsed.ok && 'payload' in parsed && decodeMessage(parsed.payload).ok;
  },
};

/** What validators send since issue 12's "cheap framing": a binary frame, the structure in JSON, payloads raw. */
const binaryPath: WirePath = {
  name: 'binary',
  encode: (message, epoch) => frames.encodeBinaryFrame(CHANNEL, encodeMessageParts(message, epoch)),
  decode: (frame) => {
    const parsed = frames.parseFrame(frame, true, { frameBytesMax: FRAME_BYTES_MAX, binaryChannels: new Set([CHANNEL]) });
    return parsed.ok && 'bytes' in parsed && decodeMessageBytes(parsed.bytes).ok;
  },
};

function hex(label: string, bytes = 32): string {
  let out = '';
  for (let index = 0; out.length < bytes * 2; index++) out += toHex(sha256(new TextEncoder().encode(`${label}/${index}`)));
  return out.slice(0, bytes * 2);
}

function header(height: number, txCount: number): BlockHeader {
  return {
    chainId: 'custodia-bench',
    height,
    round: height + 3,
    prevHash: hex(`prev ${height}`),
    proposer: `validator-${height % 4}`,
    timestamp: 1_767_225_600_000 + height * 1000,
    txCount,
    txRoot: hex(`root ${height}`),
    ledgerHeight: Math.max(0, height - 2),
    logSize: height * 150,
    logRoot: hex(`log ${height}`),
    stateRoot: hex(`state ${height}`),
  };
}

function certificate(height: number): QuorumCertificate {
  return {
    vote: { blockHash: hex(`block ${height}`), height, round: height + 3 },
    signatures: [0, 1, 2].map((index) => ({ validator: `validator-${index}`, signature: hex(`sig ${height} ${index}`, 64) })),
  };
}

function referencePayload(count: number): Uint8Array {
  const payload = new Uint8Array(1 + count * TRANSACTION_REFERENCE_BYTES);
  payload[0] = REFERENCE_PAYLOAD_TAG;
  for (let position = 0; position < count; position++) payload.set(sha256(new Uint8Array([position & 0xff, position >> 8])), 1 + position * TRANSACTION_REFERENCE_BYTES);
  for (let position = 0; position < count; position++) payload.set(sha256(new Uint8Array([7, position & 0xff, position >> 8])), 33 + position * TRANSACTION_REFERENCE_BYTES);
  return payload;
}

function proposal(txCount: number): ConsensusMessage {
  const block: ProposedBlock = { header: header(100, txCount), payload: referencePayload(txCount) };
  return { kind: 'proposal', block, justify: certificate(99), timeoutCertificate: null, signature: hex('proposal', 64) };
}

/** `count` signed captures like the benchmark's workload (tools/bench/workload.ts): one ObjectEvent of about 300 bytes each. */
function transactions(count: number, first: number): Transaction[] {
  const key = keyPairFromSeed(sha256(new TextEncoder().encode('bench signer')));
  const signer = { participant: 'urn:epc:id:pgln:0614141.00001', publicKey: key.publicKey, seed: key.seed };
  return Array.from({ length: count }, (_, index) => {
    const lot = `urn:epc:class:lgtin:0614141.012345.L${first + index}`;
    const eventTime = new Date(1_767_225_600_000 + (first + index) * 1000).toISOString();
    const payload = commissioningDocument(lot, eventTime) as JsonValue;
    return signTransaction({ chainId: 'custodia-bench', type: 'epcis.capture', signers: [signer.participant], nonce: `bench-${first + index}`, payload }, [signer]);
  });
}

function committedResponse(blocks: number, perBlock: number): ConsensusMessage {
  return {
    kind: 'committed-response',
    blocks: Array.from({ length: blocks }, (_, index) => ({
      block: { header: header(index + 1, perBlock), payload: encodePayload(transactions(perBlock, index * perBlock)) },
      certificate: certificate(index + 1),
    })),
  };
}

interface Sample {
  name: string;
  message: ConsensusMessage;
  /** Repetitions per round: more for small messages, so each round takes comparable time. */
  repetitions: number;
}

function samples(): Sample[] {
  return [
    { name: 'proposal, 100 references', message: proposal(100), repetitions: 2000 },
    { name: 'proposal, 300 references', message: proposal(300), repetitions: 1000 },
    { name: 'proposal, 1000 references', message: proposal(1000), repetitions: 400 },
    { name: 'vote', message: { kind: 'vote', vote: certificate(100).vote, validator: 'validator-2', signature: hex('vote', 64) }, repetitions: 20_000 },
    { name: 'timeout', message: { kind: 'timeout', round: 104, highQc: certificate(99), validator: 'validator-1', signature: hex('timeout', 64), highTc: null }, repetitions: 10_000 },
    { name: 'committed-response, 8 x 200 full', message: committedResponse(8, 200), repetitions: 10 },
  ];
}

function cpuMicros(run: () => void): number {
  const started = process.cpuUsage();
  run();
  const used = process.cpuUsage(started);
  return used.user + used.system;
}

export interface WireCost {
  path: string;
  message: string;
  frameBytes: number;
  encodeMicros: number;
  decodeMicros: number;
}

/** Median over `rounds` of the CPU µs per message for encoding and for decoding. */
export function measure(path: WirePath, sample: Sample, rounds: number): WireCost {
  const frame = path.encode(sample.message, 2);
  if (!path.decode(frame)) throw new Error(`${path.name} does not decode its own ${sample.name}`);
  const encodes: number[] = [];
  const decodes: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds + 1; round++) {
    const encode = cpuMicros(() => {
      for (let repetition = 0; repetition < sample.repetitions; repetition++) sink += path.encode(sample.message, 2).byteLength;
    });
    const decode = cpuMicros(() => {
      for (let repetition = 0; repetition < sample.repetitions; repetition++) sink += path.decode(frame) ? 1 : 0;
    });
    // The first round warms the JIT up and is not counted.
    if (round > 0) {
      encodes.push(encode / sample.repetitions);
      decodes.push(decode / sample.repetitions);
    }
  }
  if (sink < 0) console.log(sink);
  return { path: path.name, message: sample.name, frameBytes: frame.byteLength, encodeMicros: median(encodes), decodeMicros: median(decodes) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function pathsNamed(name: string): WirePath[] {
  const all = [jsonPath, binaryPath];
  if (name === 'both') return all;
  const found = all.filter((path) => path.name === name);
  if (found.length === 0) throw new Error(`no path ${name}: ${all.map((path) => path.name).join(', ')}`);
  return found;
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const index = args.indexOf(name);
    return index >= 0 && args[index + 1] !== undefined ? args[index + 1]! : fallback;
  };
  const rounds = Number(option('--rounds', '5'));
  const paths = pathsNamed(option('--path', 'both'));
  const results: WireCost[] = [];
  const all = samples();
  // Paths alternate per message, so drift on a shared machine hits each alike.
  for (const sample of all) for (const path of paths) results.push(measure(path, sample, rounds));
  if (args.includes('--json')) {
    console.log(JSON.stringify(results));
    return;
  }
  console.log('path    message                              frame bytes   encode µs   decode µs');
  for (const result of results) {
    console.log(
      `${result.path.padEnd(8)}${result.message.padEnd(37)}${String(result.frameBytes).padStart(11)}${result.encodeMicros.toFixed(1).padStart(12)}${result.decodeMicros.toFixed(1).padStart(12)}`,
    );
  }
}

main();
