/**
 * `custodia devnet`: runs N validators as separate processes on 127.0.0.1 from one folder
 * (written by the testnet generator the first time, reused afterwards unless --fresh), waits
 * until they are ready, prints their addresses and the demo credentials, and with --demo submits
 * the demo supply chain. Ctrl-C stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { DEMO_PARTICIPANTS, portsOf, writeTestnet } from '../../node/testnet.js';
import { runDemo } from '../devnet/demo.js';
import { fail } from '../exit-codes.js';
import { CUSTODIA_BINARY, validatorEnvironment } from '../validator-process.js';

interface DevnetOptions {
  validators: string;
  dir: string;
  basePort: string;
  demo?: boolean;
  fresh?: boolean;
}

const READY_TIMEOUT_MS = 60_000;

export function devnetCommand(): Command {
  return new Command('devnet')
    .description('run a local network of validators as separate processes (Ctrl-C stops them)')
    .option('--validators <n>', 'number of validators', '4')
    .option('--dir <dir>', 'where the network keeps its keys, configs, data and logs', '.devnet')
    .option('--base-port <port>', 'p2p base+i, API base+100+i, metrics base+200+i', '26600')
    .option('--demo', 'submit a demo farm-to-retail supply chain once the network is up')
    .option('--fresh', 'delete the folder first and start a new chain')
    .action(async (options: DevnetOptions) => {
      process.exitCode = await runDevnet(options);
    });
}

async function runDevnet(options: DevnetOptions): Promise<number> {
  const validators = Number(options.validators);
  const basePort = Number(options.basePort);
  if (!Number.isInteger(validators) || validators < 4 || validators > 31) return fail('--validators must be an integer from 4 to 31');
  if (options.fresh === true) await rm(options.dir, { recursive: true, force: true });
  const genesisFile = join(options.dir, 'genesis.json');
  if (!existsSync(genesisFile)) {
    process.stdout.write(`writing a new ${validators}-validator network to ${options.dir}\n`);
    await writeTestnet({ directory: options.dir, validators, basePort, chainId: 'custodia-devnet' });
  }
  const genesis = JSON.parse(await readFile(genesisFile, 'utf8')) as { chainId: string; validators: unknown[] };
  const count = genesis.validators.length;

  const children: ChildProcess[] = [];
  for (let index = 0; index < count; index++) {
    const directory = join(options.dir, `validator-${index}`);
    const log = openSync(join(directory, 'node.log'), 'a');
    const child = spawn(process.execPath, [CUSTODIA_BINARY, 'start', '--config', join(directory, 'config.json')], { stdio: ['ignore', log, log], env: validatorEnvironment() });
    children.push(child);
  }
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping validators...\n');
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })));
  };
  const signalled = new Promise<void>((resolve) => {
    const onSignal = () => void stopAll().then(resolve);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  const ports = Array.from({ length: count }, (_, index) => portsOf(basePort, index));
  const ready = await waitUntilReady(ports.map((port) => `http://127.0.0.1:${port.metrics}/readyz`), children);
  if (!ready.ok) {
    process.stderr.write(`error: ${ready.message}; see ${options.dir}/validator-*/node.log\n`);
    await stopAll();
    return 1;
  }
  const apiUrl = `http://127.0.0.1:${ports[0]!.api}`;
  const firstConfig = JSON.parse(await readFile(join(options.dir, 'validator-0', 'config.json'), 'utf8')) as { api: { readTokens?: Array<{ token: string; participant: string }> } };
  const auditor = firstConfig.api.readTokens?.[0];
  process.stdout.write(
    [
      `devnet ${genesis.chainId}: ${count} validators running (logs in ${options.dir}/validator-*/node.log)`,
      ...ports.map((port, index) => `  validator-${index}  API http://127.0.0.1:${port.api}   metrics http://127.0.0.1:${port.metrics}/metrics`),
      'demo participants (key files to sign with):',
      ...DEMO_PARTICIPANTS.map((participant) => `  ${participant.name.padEnd(12)} ${participant.id}  ${join(options.dir, 'participants', `${participant.name}.key`)}`),
      ...(auditor === undefined ? [] : [`auditor read token (${auditor.participant}): ${auditor.token}`, `  try: curl -H 'Authorization: Bearer ${auditor.token}' '${apiUrl}/v1/events?perPage=5'`]),
      `  auditor UI: ${apiUrl}/`,
      `submit: npx custodia submit --node ${apiUrl} --key ${join(options.dir, 'participants', 'farm.key')} --wait examples/object-event-commissioning.jsonld`,
      '',
    ].join('\n'),
  );

  if (options.demo === true) {
    const keyFiles = Object.fromEntries(DEMO_PARTICIPANTS.map((participant) => [participant.name, join(options.dir, 'participants', `${participant.name}.key`)]));
    try {
      const result = await runDemo(apiUrl, genesis.chainId, keyFiles, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`demo done: ${result.transactions} transactions; look up lot ${result.saladLot} or recall ${result.recallId}\n`);
    } catch (error) {
      process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    }
  }
  process.stdout.write('press Ctrl-C to stop\n');
  await Promise.race([signalled, Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))))]);
  await stopAll();
  return 0;
}

async function waitUntilReady(urls: string[], children: ChildProcess[]): Promise<{ ok: true } | { ok: false; message: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const exited = children.findIndex((child) => child.exitCode !== null);
    if (exited >= 0) return { ok: false, message: `validator-${exited} exited with code ${children[exited]!.exitCode}` };
    const statuses = await Promise.all(urls.map((url) => fetch(url).then((response) => response.ok, () => false)));
    if (statuses.every(Boolean)) return { ok: true };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ok: false, message: `validators not ready after ${READY_TIMEOUT_MS} ms` };
}
