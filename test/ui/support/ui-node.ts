/**
 * A running devnet for the browser tests: four validators as separate `custodia start`
 * processes on 127.0.0.1 (test/node/support/local-network.ts), each serving the query API and
 * the auditor UI as built at install time, with the demo supply chain submitted through the
 * public API and the demo auditor's read token.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHAIN_ID as NETWORK_CHAIN_ID, LocalNetwork } from '../../node/support/local-network.js';
import { runDemo, type DemoResult } from '../../../tools/devnet/demo.js';

export const CHAIN_ID = NETWORK_CHAIN_ID;
const BUILD_SCRIPT = fileURLToPath(new URL('../../../api/ui/build.mjs', import.meta.url));
const INSTALLED_UI = fileURLToPath(new URL('../../../api/ui/dist', import.meta.url));

export interface UiNode {
  url: string;
  network: LocalNetwork;
  demo: DemoResult;
  genesisFile: string;
  /** The demo regulator's read token (an auditor credential), as the devnet prints it. */
  token: string;
  close(): Promise<void>;
}

/** Runs api/ui/build.mjs into `directory`; rejects with the script's output if it fails. */
export function buildUi(directory: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILD_SCRIPT, '--out', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`the UI build failed (exit ${code}):\n${output}`))));
  });
}

export async function startUiNode(): Promise<UiNode> {
  // The validators serve the bundle `npm install` built; build it again so it matches the sources.
  await buildUi(INSTALLED_UI);
  const network = await LocalNetwork.create(4);
  try {
    const url = network.layout.apiUrls[0]!;
    const demo = await runDemo(url, CHAIN_ID, network.layout.participantKeyFiles, () => undefined);
    return { url, network, demo, genesisFile: network.layout.genesisFile, token: network.layout.auditorReadToken, close: () => network.close() };
  } catch (error) {
    await network.close();
    throw error;
  }
}
