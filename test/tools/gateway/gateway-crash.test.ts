/**
 * The participant gateway's end-to-end test of issue 14: `custodia gateway` as a real process in
 * front of a validator it reaches through a TCP proxy the test cuts (the whole network gone, as on
 * a truck). Captures are accepted (202) while it is cut off; the gateway is killed with SIGKILL,
 * started again on the same data, the validator comes back, the gateway is killed again while it
 * forwards, and started once more: every capture commits, under the id the gateway first answered
 * with, exactly once, and the ledger holds no other transaction from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import { startApiNode, type ApiNode } from '../../api/support/api-node.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { cuttableProxy, dataIn, jobWhen, request, settled, type CuttableProxy } from './support.js';

const binary = fileURLToPath(new URL('../../../tools/bin/custodia.mjs', import.meta.url));
const directories = temporaryDirectories('gateway-crash');
const events = liveEventBuilders();
let node: ApiNode;
let proxy: CuttableProxy;
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `custodia gateway` and resolves once it listens. */
async function startProcess(args: string[]): Promise<ChildProcess> {
  const started = spawn(process.execPath, [binary, 'gateway', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http:\/\//.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    started.stdout!.on('data', read);
    started.stderr!.on('data', read);
    started.once('exit', (code) => reject(new Error(`the gateway exited with ${code}: ${output}`)));
  });
  return started;
}

async function kill9(process: ChildProcess): Promise<void> {
  if (process.exitCode !== null || process.signalCode !== null) return;
  const exited = new Promise((resolve) => process.once('exit', resolve));
  process.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  node = await startApiNode();
  proxy = await cuttableProxy(new URL(node.url));
});
afterAll(async () => {
  if (child !== undefined) await kill9(child);
  await proxy?.close();
  await node?.close();
});

describe('custodia gateway, cut off and killed', () => {
  // Three starts of the command (node and tsx load in seconds, several times that on a loaded machine).
  it('accepts captures while every validator is cut off, loses none to kill -9, and commits each exactly once', { timeout: 240_000 }, async () => {
    const directory = await directories();
    const data = dataIn(directory, 'gateway');
    const port = await freePort();
    const args = ['--key', node.participantKeyFiles['farm']!, '--node', proxy.url, '--listen', `127.0.0.1:${port}`, '--data', data, '--genesis', node.genesisFile, '--retry-max-ms', '300'];
    const startHeight = (await node.client().head()).height;
    proxy.cut();
    child = await startProcess(args);
    const gateway = { url: `http://127.0.0.1:${port}`, token: (await readFile(dataIn(data, 'token'), 'utf8')).trim() };

    const captures: Array<{ eventId: string; location: string }> = [];
    for (let index = 0; index < 6; index++) {
      const eventId = `urn:uuid:3d1f7a00-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
      const document = events.document(events.commissioning([`urn:epc:id:sgtin:0614141.0012345.KILL${index}`], { eventID: eventId }));
      const answer = await request(gateway, 'POST', '/epcis/capture', { body: document });
      expect(answer.status).toBe(202);
      captures.push({ eventId, location: answer.headers.get('location')! });
    }
    expect((await request(gateway, 'GET', captures[0]!.location)).body).toMatchObject({ running: true, 'custodia:state': 'queued' });

    // Killed with everything queued; started again, still cut off: all of it is still there.
    await kill9(child);
    child = await startProcess(args);
    for (const { location } of captures) expect((await request(gateway, 'GET', location)).body).toMatchObject({ running: true, 'custodia:state': 'queued' });

    // The validator answers again; killed once more as soon as the first capture committed.
    proxy.restore();
    await jobWhen(gateway, captures[0]!.location, settled);
    await kill9(child);
    child = await startProcess(args);

    const ids: string[] = [];
    for (const { location } of captures) {
      const job = await jobWhen(gateway, location, settled, 60_000);
      expect(job).toMatchObject({ success: true, 'custodia:state': 'committed', 'custodia:proven': true });
      ids.push(location.split('/').pop()!);
    }
    for (const { eventId } of captures) expect((await node.as('regulator').events({ EQ_eventID: eventId })).events).toHaveLength(1);
    // The ledger since the test began: the gateway's captures, each once, and no other transaction.
    const recorded: string[] = [];
    const blocks = await fetch(`${node.url}/v1/blocks-with-transactions?limit=100`).then((response) => response.json() as Promise<{ blocks: Array<{ height: number; transactions: Array<{ id: string }> }> }>);
    for (const block of blocks.blocks) if (block.height > startHeight) recorded.push(...block.transactions.map((transaction) => transaction.id));
    expect([...recorded].sort()).toEqual([...ids].sort());
  });
});
