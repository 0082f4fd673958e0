/**
 * CPU cost of relaying transactions between validators, over real sockets (issue 12, "Relay
 * batching"; docs/performance.md, "Levers"): four transports in this process on 127.0.0.1, one
 * of them relaying every transaction it "admits" to the three others at a steady rate, the
 * others parsing each relay frame and taking its elements (no transaction checks: those cost
 * the same either way). Timed with process.cpuUsage() over the whole run, so the figure is the
 * CPU of every end (encoding, WebSocket framing, socket writes and reads, frame parsing,
 * dispatch) per relayed transaction.
 *
 *   npx tsx tools/bench/relay-wire.ts [--rate R] [--count N] [--repeats K] [--json]
 *
 * Paths: `single`, one frame per transaction per peer (the relay before batching), and
 * `batched`, node/relay-batch.ts with its default limits (what validators send now). After one
 * uncounted run of each (the JIT's warm-up), the two alternate with an `idle` run (the same mesh
 * and ticks for the same time, relaying nothing), K times each, since the machine is shared;
 * the figures are medians, and the net cost of a path is its figure less idle's.
 */
import { generateKeyPair } from '../../ledger/crypto/ed25519.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { signTransaction, transactionBodyBytes, type Transaction } from '../../ledger/model/transaction.js';
import { ValidatorSet } from '../../ledger/model/validator-set.js';
import { parseRelayFrame, relayBytes, RelayBatcher } from '../../node/relay-batch.js';
import { PeerTransport } from '../../node/transport/index.js';

const CHAIN_ID = 'custodia-relay-wire';
const CHANNEL = 'tx';
const VALIDATORS = 4;
/** Distinct signed transactions the run cycles through (signing more would only cost start-up time). */
const DISTINCT_TRANSACTIONS = 1000;
/** How often the sender admits what is due, ms. */
const TICK_MS = 2;
const CONNECT_TIMEOUT_MS = 20_000;

/** `idle` runs the mesh and the sender's ticks for as long as the others take, relaying nothing: the cost the others' figures include whatever they send. */
type Path = 'single' | 'batched' | 'idle';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Captures like the benchmark's workload: one ObjectEvent commissioning a lot, about 300 bytes of document. */
function workload(): Array<{ transaction: Transaction; bytes: number }> {
  const key = generateKeyPair();
  const signer = { participant: 'urn:epc:id:pgln:0614141.00001', ...key };
  return Array.from({ length: DISTINCT_TRANSACTIONS }, (_, index) => {
    const eventTime = new Date(Date.UTC(2026, 0, 1) + index).toISOString();
    const document = {
      '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: eventTime,
      epcisBody: {
        eventList: [
          {
            type: 'ObjectEvent',
            eventTime,
            eventTimeZoneOffset: '+00:00',
            action: 'ADD',
            bizStep: 'commissioning',
            disposition: 'active',
            quantityList: [{ epcClass: `urn:epc:class:lgtin:0614141.000000.B${index}`, quantity: 100, uom: 'KGM' }],
            readPoint: { id: 'urn:epc:id:sgln:0614141.00001.0' },
          },
        ],
      },
    };
    const transaction = signTransaction({ chainId: CHAIN_ID, type: 'epcis.capture', signers: [signer.participant], nonce: `n${index}`, payload: { document } }, [signer]);
    return { transaction, bytes: relayBytes(transaction, transactionBodyBytes(transaction.body).length) };
  });
}

async function mesh(): Promise<PeerTransport[]> {
  const keys = Array.from({ length: VALIDATORS }, () => generateKeyPair());
  const created = ValidatorSet.create(keys.map((key, index) => ({ id: `validator-${index}`, publicKey: toHex(key.publicKey) })));
  if (!created.ok) throw new Error(created.message);
  const transports = keys.map(
    (key, index) => new PeerTransport({ chainId: CHAIN_ID, self: { id: `validator-${index}`, seed: key.seed }, validators: created.set, listen: { host: '127.0.0.1', port: 0 }, peers: [] }),
  );
  await Promise.all(transports.map((transport) => transport.start()));
  const peers = transports.map((transport, index) => ({ id: `validator-${index}`, address: `127.0.0.1:${transport.port}` }));
  for (const transport of transports) transport.setPeers(peers);
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  while (!transports.every((transport) => transport.connectedPeers().length === VALIDATORS - 1)) {
    if (Date.now() > deadline) throw new Error('the mesh did not connect');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return transports;
}

interface PathResult {
  path: Path;
  transactions: number;
  frames: number;
  cpuMs: number;
  cpuUsPerTransaction: number;
}

async function run(path: Path, pool: Array<{ transaction: Transaction; bytes: number }>, ratePerS: number, count: number): Promise<PathResult> {
  const transports = await mesh();
  const [sender, ...receivers] = transports as [PeerTransport, ...PeerTransport[]];
  let received = 0;
  let frames = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  if (path === 'idle') setTimeout(() => done(), (count * 1000) / ratePerS);
  for (const receiver of receivers) {
    receiver.onFrame((_from, channel, payload) => {
      if (channel !== CHANNEL) return;
      frames++;
      const frame = parseRelayFrame(payload);
      if (frame.ok) received += frame.transactions.length;
      if (received >= count * receivers.length) done();
    });
  }
  const batcher = new RelayBatcher((batch) => sender.broadcast(CHANNEL, batch));
  const relay =
    path === 'idle' ? () => undefined : path === 'single' ? (entry: (typeof pool)[number]) => void sender.broadcast(CHANNEL, entry.transaction as unknown as JsonValue) : (entry: (typeof pool)[number]) => batcher.add(entry.transaction as unknown as JsonValue, entry.bytes);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  const ticker = setInterval(() => {
    const due = Math.min(count, Math.floor(((performance.now() - start) * ratePerS) / 1000));
    for (; sent < due; sent++) relay(pool[sent % pool.length]!);
    if (sent >= count) clearInterval(ticker);
  }, TICK_MS);
  await finished;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(ticker);
  await Promise.all(transports.map((transport) => transport.stop()));
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { path, transactions: count, frames: frames / receivers.length, cpuMs: Math.round(cpuMs), cpuUsPerTransaction: Math.round((cpuMs * 1000) / count) };
}

async function main(): Promise<void> {
  const ratePerS = argument('rate', 1000);
  const count = argument('count', 20_000);
  const repeats = argument('repeats', 3);
  const json = process.argv.includes('--json');
  const pool = workload();
  // One run of each first, not counted: the JIT compiles both paths before anything is timed.
  for (const path of ['single', 'batched'] as const) await run(path, pool, ratePerS, Math.min(count, 5000));
  const results: PathResult[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const path of ['single', 'batched', 'idle'] as const) {
      const result = await run(path, pool, ratePerS, count);
      results.push(result);
      if (!json) process.stderr.write(`${path}: ${result.cpuUsPerTransaction} µs CPU per relayed transaction (${result.frames} frames per peer for ${count} transactions at ${ratePerS}/s)\n`);
    }
  }
  const median = (path: Path) => {
    const values = results.filter((result) => result.path === path).map((result) => result.cpuUsPerTransaction).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  const medians = { single: median('single'), batched: median('batched'), idle: median('idle') };
  const net = { single: medians.single - medians.idle, batched: medians.batched - medians.idle };
  const summary = { ratePerS, count, repeats, medianCpuUsPerTransaction: medians, netCpuUsPerTransaction: net, results };
  process.stdout.write(
    json
      ? `${JSON.stringify(summary)}\n`
      : `median µs CPU per relayed transaction (to ${VALIDATORS - 1} peers, both ends): single ${medians.single}, batched ${medians.batched}, idle ${medians.idle}; net of idle: single ${net.single}, batched ${net.batched}\n`,
  );
}

await main();
