/**
 * The C2SP view of a running validator (docs/transparency.md): the checkpoint its quorum signed
 * (one validator: a quorum of one), the keys, the tiles a mirror rebuilds the root from, the
 * tlog-proof checked offline, and two witnesses of our own that cosign it, which the validator
 * pushes to and whose cosignatures it serves, and which refuse a fork signed with the very
 * validator key.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../ledger/encoding/base64.js';
import { generateKeyFile, loadKeyFile } from '../../ledger/files/key-file.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { leafHash, MemoryMerkleLog, type Hash } from '../../ledger/merkle/index.js';
import type { KeyPair } from '../../ledger/crypto/ed25519.js';
import { chainOrigin, formatCheckpointText, validatorKeyName, verifyCheckpoint, type CheckpointPolicy } from '../../ledger/tlog/checkpoint.js';
import { cosignatureVerifier } from '../../ledger/tlog/cosignature.js';
import { signNoteText, SIGNATURE_TYPE_COSIGNATURE_ED25519 } from '../../ledger/tlog/note.js';
import { formatVerifierKey, parseVerifierKey } from '../../ledger/tlog/verifier-keys.js';
import { policyFromGenesis, policyFromKeys } from '../../ledger/tlog/policy.js';
import { decodeEntryBundle, decodeTile, tilePath, tileWidthAt } from '../../ledger/tlog/tiles.js';
import { ledgerEntryOfLeaf, verifyTlogProof } from '../../ledger/tlog/tlog-proof.js';
import { formatAddCheckpoint } from '../../ledger/tlog/witness-request.js';
import { Witness, witnessServer } from '../../tools/witness/witness-server.js';
import { startWitness } from '../../tools/witness/start-witness.js';
import { runCli } from '../support/run-cli.js';
import { get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

interface RunningWitness {
  name: string;
  stateDirectory: string;
  keys: KeyPair;
  witness: Witness;
  server: Server;
  url: string;
  vkey: string;
  warnings: string[];
}

let node: ApiNode;
let directory: string;
let policy: CheckpointPolicy;
let validatorKey: KeyPair;
const logs: CheckpointPolicy[] = [];
const witnesses: RunningWitness[] = [];

async function startTestWitness(index: number): Promise<RunningWitness> {
  const name = `witness.test/w${index}`;
  const keys = await generateKeyFile(join(directory, `witness-${index}.key`), name);
  const warnings: string[] = [];
  const stateDirectory = join(directory, `witness-${index}`);
  await mkdir(stateDirectory);
  const witness = new Witness({ identity: { name, seed: keys.seed, publicKey: keys.publicKey }, logs, stateDirectory, logger: { info: () => undefined, warn: (line) => warnings.push(line) } });
  const server = witnessServer(witness);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { name, stateDirectory, keys, witness, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, vkey: formatVerifierKey(name, SIGNATURE_TYPE_COSIGNATURE_ED25519, keys.publicKey), warnings };
}

/** The served checkpoint once it covers the whole log and both witnesses have cosigned it. */
async function settledCheckpoint(): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 400; attempt++) {
    const answer = await get(`${node.url}/tlog/checkpoint`);
    last = `${answer.status} ${answer.text}`;
    if (answer.status === 200) {
      const checked = verifyCheckpoint(answer.text, policy);
      if (checked.ok && checked.checkpoint.size === node.validator.store.head().logSize && (answer.text.match(/— witness\.test/g) ?? []).length === 2) return answer.text;
    }
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`the checkpoint never covered the log of ${node.validator.store.head().logSize} with both cosignatures: ${last} ${witnesses.map((witness) => witness.warnings.join(';')).join('|')}`);
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'custodia-tlog-'));
  witnesses.push(await startTestWitness(0), await startTestWitness(1));
  node = await startApiNode({
    configure: async (config, layout, configFile) => {
      const genesis = await readGenesisFile(layout.genesisFile);
      if (!genesis.ok) throw new Error(genesis.message);
      policy = policyFromGenesis(genesis.genesis.chainId, genesis.validators);
      logs.push(policy);
      config.tlog = { witnesses: witnesses.map((witness) => ({ url: witness.url, vkey: witness.vkey })) };
      const key = await loadKeyFile(resolve(dirname(configFile), config.keyFile as string));
      if (!key.ok) throw new Error(key.message);
      validatorKey = key.key.keyPair;
    },
  });
}, 120_000);

afterAll(async () => {
  await node?.close();
  for (const witness of witnesses) await new Promise<void>((done) => witness.server.close(() => done()));
  await rm(directory, { recursive: true, force: true });
});

describe('GET /tlog/checkpoint and /tlog/keys', () => {
  it('serves the log a quorum signed as a C2SP checkpoint, with both witnesses’ cosignatures, which the k-of-n policy verifies', async () => {
    const note = await settledCheckpoint();
    const answer = await get(`${node.url}/tlog/checkpoint`);
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('public, max-age=2');
    const head = node.validator.store.head();
    const withWitnesses = { ...policy, cosigners: { verifiers: witnesses.map((witness) => cosignatureVerifier(witness.name, witness.keys.publicKey)), threshold: 2 } };
    const checked = verifyCheckpoint(note, withWitnesses);
    expect(checked).toMatchObject({ ok: true, checkpoint: { origin: chainOrigin('custodia-api-test'), size: head.logSize }, signers: [validatorKeyName(policy.origin, 'validator-0')] });
    expect(checked.ok && Buffer.from(checked.checkpoint.rootHash).toString('hex')).toBe(head.logRoot);
    // Each witness keeps what it cosigned, durably.
    for (const witness of witnesses) expect((await witness.witness.latest(policy.origin))?.size).toBe(head.logSize);
  });

  it('publishes the signing keys as vkeys with the quorum: a policy that verifies the checkpoint', async () => {
    const keys = await get(`${node.url}/tlog/keys`);
    expect(keys.body).toMatchObject({ origin: policy.origin, epoch: 0, quorum: 1, witnesses: witnesses.map((witness) => witness.vkey) });
    const loaded = policyFromKeys(keys.body);
    expect(loaded.ok && verifyCheckpoint(await settledCheckpoint(), loaded.policy).ok).toBe(true);
  });
});

describe('tiles', () => {
  it('lets a mirror fetch every tile and entry bundle, hash the entries to the leaves and recompute the signed root', async () => {
    const note = await settledCheckpoint();
    const checked = verifyCheckpoint(note, policy);
    if (!checked.ok) throw new Error(checked.message);
    const { size, rootHash } = checked.checkpoint;
    const mirror = new MemoryMerkleLog();
    const leaves: Hash[] = [];
    for (let index = 0; tileWidthAt(0, index, size) > 0; index++) {
      const width = tileWidthAt(0, index, size);
      const bundleAnswer = await fetch(`${node.url}/tlog/${tilePath({ level: 'entries', index, width })}`);
      expect(bundleAnswer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(bundleAnswer.headers.get('content-type')).toBe('application/octet-stream');
      const tileBytes = new Uint8Array(await (await fetch(`${node.url}/tlog/${tilePath({ level: 0, index, width })}`)).arrayBuffer());
      const tileHashes = decodeTile(tileBytes, width)!;
      const entries = decodeEntryBundle(new Uint8Array(await bundleAnswer.arrayBuffer()), width)!;
      for (const [offset, entry] of entries.entries()) {
        expect(leafHash(entry)).toEqual(tileHashes[offset]);
        expect(ledgerEntryOfLeaf(entry)).toMatchObject({ height: expect.any(Number), position: expect.any(Number), txId: expect.stringMatching(/^[0-9a-f]{64}$/) });
        leaves.push(leafHash(entry));
      }
    }
    for (const leaf of leaves) mirror.appendLeafHash(leaf);
    expect(mirror.size).toBe(size);
    expect(toBase64(mirror.root())).toBe(toBase64(rootHash));
  });

  it('answers 404 beyond the log and for spellings that are not the canonical one', async () => {
    const size = node.validator.store.head().logSize;
    for (const path of [tilePath({ level: 0, index: 0, width: Math.min(255, size + 1) }), tilePath({ level: 0, index: 1, width: 1 }), tilePath({ level: 1, index: 0, width: 1 }), 'tile/0/x000/000.p/1', 'tile/00/000.p/1', 'tile/entries/000.p/0', 'tile/9/000']) {
      expect((await get(`${node.url}/tlog/${path}`)).status, path).toBe(404);
    }
  });
});

describe('GET /v1/proofs/transactions/:id/tlog-proof', () => {
  it('is a c2sp.org/tlog-proof that verifies offline from the genesis keys, in process and with custodia verify --proof', async () => {
    await settledCheckpoint();
    const txId = node.extras.receiptTransactionId;
    const answer = await get(`${node.url}/v1/proofs/transactions/${txId}/tlog-proof`, TOKENS.regulator);
    expect(answer.status).toBe(200);
    const verdict = verifyTlogProof(answer.text, policy);
    expect(verdict.ok && ledgerEntryOfLeaf(verdict.leaf)).toMatchObject({ txId, result: { status: 'accepted' } });
    const file = join(directory, 'receipt.tlog-proof');
    await writeFile(file, answer.text);
    const cli = await runCli(['verify', '--proof', file, '--genesis', node.genesisFile]);
    expect(cli.stdout).toContain(`verified: transaction ${txId}`);
    expect(cli.code).toBe(0);
    // One byte of the entry changed: the leaf no longer proves in.
    const tampered = answer.text.replace(/^extra (.*)$/m, (_line, extra: string) => `extra ${toBase64(Buffer.from(Buffer.from(extra, 'base64').toString('utf8').replace('accepted', 'acceptee')))}`);
    expect(verifyTlogProof(tampered, policy)).toMatchObject({ ok: false, step: 'inclusion' });
  });

  it('follows the party rule: a reader who is no party is refused', async () => {
    const answer = await get(`${node.url}/v1/proofs/transactions/${node.extras.receiptTransactionId}/tlog-proof`, TOKENS.carrier);
    expect(answer.status).toBe(403);
    expect((await get(`${node.url}/v1/proofs/transactions/${node.extras.receiptTransactionId}/tlog-proof`)).status).toBe(401);
  });
});

describe('witnesses', () => {
  function forged(size: number, rootHash: Uint8Array): string {
    const text = formatCheckpointText({ origin: policy.origin, size, rootHash });
    return `${text}\n${signNoteText(text, validatorKeyName(policy.origin, 'validator-0'), validatorKey.seed, validatorKey.publicKey)}`;
  }

  async function addCheckpoint(witness: RunningWitness, body: string) {
    const answer = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
    return { status: answer.status, type: answer.headers.get('content-type'), text: await answer.text() };
  }

  it('both refuse a fork signed with the validator’s own key: 409 with their size, or 422 for a proof that does not verify', async () => {
    await settledCheckpoint();
    for (const witness of witnesses) {
      const latest = (await witness.witness.latest(policy.origin))!;
      const otherRoot = new Uint8Array(fromBase64(latest.rootHash)!);
      otherRoot[0] = otherRoot[0]! ^ 1;
      const sameSize = await addCheckpoint(witness, formatAddCheckpoint({ oldSize: latest.size, proof: [], checkpoint: forged(latest.size, otherRoot) }));
      expect(sameSize).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${latest.size}\n` });
      const fromScratch = await addCheckpoint(witness, formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: forged(latest.size + 5, otherRoot) }));
      expect(fromScratch).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${latest.size}\n` });
      const badProof = await addCheckpoint(witness, formatAddCheckpoint({ oldSize: latest.size, proof: [otherRoot], checkpoint: forged(latest.size + 5, otherRoot) }));
      expect(badProof.status).toBe(422);
      expect(witness.warnings.some((line) => line.startsWith('FORK?'))).toBe(true);
      // Still on the genuine checkpoint.
      expect((await witness.witness.latest(policy.origin))).toEqual(latest);
    }
  });

  it('refuses hostile requests with the spec’s codes', async () => {
    const witness = witnesses[0]!;
    const latest = (await witness.witness.latest(policy.origin))!;
    const root = fromBase64(latest.rootHash)!;
    const outsider = await generateKeyFile(join(directory, 'outsider.key'));
    const text = formatCheckpointText({ origin: policy.origin, size: latest.size, rootHash: root });
    const unsigned = `${text}\n${signNoteText(text, validatorKeyName(policy.origin, 'validator-0'), outsider.seed, outsider.publicKey)}`;
    expect((await addCheckpoint(witness, formatAddCheckpoint({ oldSize: latest.size, proof: [], checkpoint: unsigned }))).status).toBe(403);
    const otherOrigin = formatCheckpointText({ origin: 'custodia.tlog/elsewhere', size: 1, rootHash: root });
    expect((await addCheckpoint(witness, formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: `${otherOrigin}\n${signNoteText(otherOrigin, 'x', outsider.seed, outsider.publicKey)}` }))).status).toBe(404);
    expect((await addCheckpoint(witness, formatAddCheckpoint({ oldSize: latest.size + 1, proof: [], checkpoint: forged(latest.size, root) }))).status).toBe(400);
    expect((await addCheckpoint(witness, 'old 1\n')).status).toBe(400);
    expect((await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body: new Uint8Array([0xff, 0xfe]) })).status).toBe(400);
    expect((await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body: 'x'.repeat(200_000) })).status).toBe(413);
    // The genuine checkpoint again: cosigned again, from its own size.
    const again = await addCheckpoint(witness, formatAddCheckpoint({ oldSize: latest.size, proof: [], checkpoint: forged(latest.size, root) }));
    expect(again.status).toBe(200);
    expect(again.text).toMatch(new RegExp(`^— ${witness.name.replace('.', '\\.')} [A-Za-z0-9+/=]+\n$`));
  });

  it('keeps its state in the folder it was given: a new witness on the same folder still refuses the fork', async () => {
    const latest = (await witnesses[1]!.witness.latest(policy.origin))!;
    const reopened = new Witness({ identity: { name: 'witness.test/again', seed: witnesses[1]!.keys.seed, publicKey: witnesses[1]!.keys.publicKey }, logs, stateDirectory: witnesses[1]!.stateDirectory, logger: { info: () => undefined, warn: () => undefined } });
    const otherRoot = new Uint8Array(32).fill(3);
    expect((await reopened.addCheckpoint(formatAddCheckpoint({ oldSize: latest.size, proof: [], checkpoint: forged(latest.size, otherRoot) }))).status).toBe(409);
  });

  it('custodia witness --log URL pins the log’s keys on first use and cosigns its checkpoint', async () => {
    const note = await settledCheckpoint();
    const stateDirectory = join(directory, 'witness-cli');
    const keyFile = join(directory, 'witness-cli.key');
    await generateKeyFile(keyFile, 'cli');
    const messages: string[] = [];
    const started = await startWitness({ logs: [node.url], keyFile, stateDirectory, listen: { host: '127.0.0.1', port: 0 }, logger: { info: (line) => messages.push(line), warn: (line) => messages.push(line) } });
    if (!started.ok) throw new Error(started.message);
    try {
      expect(started.name).toBe('witness.custodia/cli');
      expect(messages.some((line) => line.includes('pinned the keys of custodia.tlog/custodia-api-test'))).toBe(true);
      const body = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note.slice(0, note.indexOf('— witness')) });
      const answer = await fetch(`${started.url}/add-checkpoint`, { method: 'POST', body });
      const lines = await answer.text();
      expect(answer.status).toBe(200);
      const parsed = parseVerifierKey(started.vkey);
      expect(parsed.ok && verifyCheckpoint(note.slice(0, note.indexOf('— witness')) + lines, { ...policy, cosigners: { verifiers: [parsed.verifier], threshold: 1 } }).ok).toBe(true);
    } finally {
      await started.close();
    }
  });
});
