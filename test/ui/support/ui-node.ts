/**
 * A running node for the browser tests: the auditor UI built fresh into a temporary folder, a
 * one-validator testnet (a quorum of one commits on its own) started in-process on ephemeral
 * ports with the query API and the UI mounted, a read token for the regulator, and the devnet's
 * demo supply chain submitted through the public API.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { apiRoutes } from '../../../api/http/index.js';
import { uiRoutes } from '../../../api/ui/serve.js';
import { loadConfig } from '../../../node/config.js';
import { silentLogger } from '../../../node/logger.js';
import { DEMO_PARTICIPANTS, writeTestnet } from '../../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../../node/validator.js';
import { runDemo, type DemoResult } from '../../../tools/devnet/demo.js';

export const CHAIN_ID = 'custodia-ui-test';
export const REGULATOR_TOKEN = 'regulator-ui-read-token-0123456789';
const BUILD_SCRIPT = fileURLToPath(new URL('../../../api/ui/build.mjs', import.meta.url));

export interface UiNode {
  url: string;
  validator: RunningValidator;
  demo: DemoResult;
  genesisFile: string;
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
  const directory = await mkdtemp(join(tmpdir(), 'custodia-ui-'));
  try {
    const uiDirectory = join(directory, 'ui');
    await buildUi(uiDirectory);
    // Empty blocks at the devnet's pace: transactions still commit at once, and the chain stays
    // as short as an auditor's demo chain, so the pages show what a person would see.
    const layout = await writeTestnet({ directory: join(directory, 'net'), validators: 1, basePort: 20_000, chainId: CHAIN_ID, roundTimeoutBaseMs: 1000, idleProposalDelayMs: 500 });
    const configFile = layout.configFiles[0]!;
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, any>;
    // Ephemeral ports: parallel test files never collide.
    config.p2p.listen = '127.0.0.1:0';
    config.api.listen = '127.0.0.1:0';
    config.metrics.listen = '127.0.0.1:0';
    config.log.level = 'error';
    const regulator = DEMO_PARTICIPANTS.find((participant) => participant.name === 'regulator')!;
    config.api.readTokens = [{ token: REGULATOR_TOKEN, participant: regulator.id, scope: 'read' }];
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const loaded = await loadConfig(configFile);
    if (!loaded.ok) throw new Error(loaded.message);
    const validator = await startValidator(loaded.config, {
      logger: silentLogger(),
      routes: (context) => {
        const router = Router();
        router.use(uiRoutes({ directory: uiDirectory }));
        router.use(apiRoutes(context));
        return router;
      },
    });
    let demo: DemoResult;
    try {
      demo = await runDemo(validator.apiUrl, CHAIN_ID, layout.participantKeyFiles, () => undefined);
    } catch (error) {
      // A node that could not commit the demo may not drain quickly either; the demo's own
      // error ("demo step ... did not commit") is what the test run should report.
      await Promise.race([validator.stop(), new Promise((resolve) => setTimeout(resolve, 5000))]);
      throw error;
    }
    return {
      url: validator.apiUrl,
      validator,
      demo,
      genesisFile: layout.genesisFile,
      close: async () => {
        await validator.stop();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
