/**
 * The subcommands that talk to a running validator (tools/commands/submit.ts, approval.ts,
 * node-access.ts), against a real one. `custodia submit` commits an EPCIS document and exits 1
 * when the rules reject it. With `custodia approval`:
 * - two admins add a participant; the trail and the pending lists read back;
 * - a refused second approval exits 1;
 * - a validator-set change gets its effective height from --effective-in, and is rejected;
 * - malformed input exits 2 before the node is reached.
 * The commands run in this process (runCliInProcess: the same program the binary runs), since a
 * child per command cost several seconds of start-up each; test/tools/cli.test.ts runs the binary.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../ledger/crypto/ed25519.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { writeKeyFile } from '../../ledger/files/key-file.js';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { startApiNode, TOKENS, type ApiNode } from '../api/support/api-node.js';
import { runCliInProcess as runCli } from '../support/run-cli.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('approval-cli');
let node: ApiNode;
let directory: string;

beforeAll(async () => {
  node = await startApiNode();
  directory = await newDirectory();
}, 120_000);

afterAll(async () => {
  await node?.close();
});

const keyOf = (name: string) => node.participantKeyFiles[name]!;
const approval = (args: string[], url = node.url) => runCli(['approval', ...args, '--node', url]);
/** Nothing listens there: a command that tried to reach the node would exit 1, not 2. */
const UNREACHABLE_NODE = 'http://127.0.0.1:9';
const requestIdIn = (stdout: string) => /^request ([0-9a-f]{64}):/m.exec(stdout)?.[1];

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = join(directory, name);
  await writeFile(file, JSON.stringify(value));
  return file;
}

describe('custodia submit', () => {
  it('signs and commits an EPCIS document as the key\'s participant, and exits 1 when the rules reject it', async () => {
    const events = liveEventBuilders();
    const lot = 'urn:epc:class:lgtin:0614141.0012345.CLI1';
    const document = await writeJson('commission.jsonld', events.document(events.commissionLot(lot, 25)));
    const submitted = await runCli(['submit', document, '--node', node.url, '--key', keyOf('farm'), '--wait']);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/^transaction [0-9a-f]{64}: committed at height \d+\n  ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0: committed\n$/);
    // The same event again is a duplicate: rejected by the rules, with the reason code.
    const again = await runCli(['submit', document, '--node', node.url, '--key', keyOf('farm'), '--wait']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/: rejected at height \d+ \(duplicate-event: /);
    // The carrier may not commission goods under the farm's company prefix.
    const foreignLot = await writeJson('foreign.jsonld', events.document(events.commissionLot('urn:epc:class:lgtin:0614141.0012345.CLI2', 5)));
    const foreign = await runCli(['submit', foreignLot, '--node', node.url, '--key', keyOf('carrier'), '--wait']);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain('(not-own-company-prefix: ');
    const invalid = await runCli(['submit', await writeJson('broken.jsonld', { type: 'EPCISDocument' }), '--node', UNREACHABLE_NODE, '--key', keyOf('farm')]);
    expect(invalid.code).toBe(2);
  }, 60_000);
});

describe('custodia approval', () => {
  it('adds a participant once two admins approve, with the pending lists and the signature trail read back', async () => {
    const newcomerKey = generateKeyPair();
    const newcomerId = 'urn:epc:id:pgln:0614150.00001';
    const newcomerKeyFile = join(directory, 'newcomer.key');
    await writeKeyFile(newcomerKeyFile, newcomerKey, newcomerId);
    const action = await writeJson('add.json', {
      type: 'governance.add-participant',
      payload: { participant: { id: newcomerId, name: 'Harbour Cold Store', roles: ['distributor'], keys: [{ publicKey: toHex(newcomerKey.publicKey), status: 'active' }], companyPrefixes: ['0614150'] } },
    });

    const requested = await approval(['request', action, '--stage', '2 of role:admin', '--key', keyOf('admin1'), '--wait']);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    expect(requested.stdout).toMatch(/: committed at height \d+/);
    const requestId = requestIdIn(requested.stdout)!;
    expect(requested.stdout).toContain(`request ${requestId}: governance.add-participant, 2 of role:admin`);

    const waiting = await approval(['pending', '--key', keyOf('admin2')]);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain(`${requestId}  governance.add-participant  requested by ${node.participantId('admin1')}`);

    const first = await approval(['approve', requestId, '--key', keyOf('admin1'), '--wait']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`request ${requestId}: pending (1 approval so far)`);
    // A second approval by the same admin is refused by the rules: exit 1 with the reason.
    const again = await approval(['approve', requestId, '--key', keyOf('admin1'), '--wait']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/: rejected at height \d+ \([a-z-]+: /);
    const second = await approval(['approve', requestId, '--key', keyOf('admin2'), '--wait']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`request ${requestId}: executed`);

    const shown = await approval(['show', requestId, '--token', TOKENS.regulator, '--json']);
    expect(shown.code).toBe(0);
    const trail = JSON.parse(shown.stdout) as { status: string; outcome: unknown; trail: Array<{ kind: string; party: string }> };
    expect(trail.status).toBe('executed');
    expect(trail.outcome).toEqual({ status: 'accepted' });
    expect(trail.trail.map((entry) => [entry.kind, entry.party])).toEqual([
      ['request', node.participantId('admin1')],
      ['approval', node.participantId('admin1')],
      ['approval', node.participantId('admin2')],
    ]);
    const text = await approval(['show', requestId, '--key', keyOf('admin2')]);
    expect(text.stdout).toContain(`approved (stage 1) by ${node.participantId('admin2')}`);
    expect((await approval(['pending', '--key', keyOf('admin2')])).stdout).not.toContain(requestId);
    // The newcomer is a participant now: its own key signs its reads.
    const newcomer = await approval(['pending', '--key', newcomerKeyFile]);
    expect(newcomer.stderr).toBe('');
    expect(newcomer.stdout).toBe(`nothing waits on ${newcomerId}\n`);
  }, 120_000);

  it('fills in the effective height of a validator-set change, and records a rejection with its reason', async () => {
    const genesis = JSON.parse(await readFile(node.genesisFile, 'utf8')) as { validators: unknown[] };
    const action = await writeJson('validators.json', { type: 'governance.set-validators', payload: { validators: genesis.validators } });
    const heightBefore = (await node.client().head()).height;
    const requested = await approval(['request', action, '--stage', '2 of role:admin', '--effective-in', '500', '--key', keyOf('admin2'), '--wait']);
    expect(requested.code).toBe(0);
    const requestId = requestIdIn(requested.stdout)!;
    const effectiveHeight = Number(/effective at height (\d+)/.exec(requested.stdout)?.[1]);
    expect(effectiveHeight).toBeGreaterThanOrEqual(heightBefore + 500);

    const rejected = await approval(['reject', requestId, '--reason', 'wait for the quarterly window', '--key', keyOf('admin1'), '--wait']);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain(`request ${requestId}: rejected`);
    const shown = JSON.parse((await approval(['show', requestId, '--token', TOKENS.regulator, '--json'])).stdout) as {
      status: string;
      action: { payload: { effectiveHeight: number } };
      trail: Array<{ kind: string; reason?: string }>;
    };
    expect(shown.status).toBe('rejected');
    expect(shown.action.payload.effectiveHeight).toBe(effectiveHeight);
    expect(shown.trail.at(-1)).toMatchObject({ kind: 'rejection', reason: 'wait for the quarterly window' });
  }, 120_000);

  it('exits 2 on malformed input, before reaching for the node', async () => {
    const action = await writeJson('note.json', { type: 'governance.remove-participant', payload: { participant: node.participantId('carrier') } });
    const cases: Array<[string[], RegExp]> = [
      [['request', action, '--stage', 'two of role:admin', '--key', keyOf('admin1')], /expected "K of APPROVER,\.\.\."/],
      [['request', action, '--stage', '2 of role:emperor', '--key', keyOf('admin1')], /unknown role emperor/],
      [['request', action, '--stage', '2 of role:admin', '--effective-in', '400', '--key', keyOf('admin1')], /applies to governance\.set-validators/],
      [['request', action, '--stage', '2 of role:admin', '--effective-in', '5', '--key', keyOf('admin1')], /above 10/],
      [['request', await writeJson('bad.json', { type: 'x' }), '--stage', '1 of role:admin', '--key', keyOf('admin1')], /expected \{"type"/],
      [['show', 'ab'.repeat(32)], /--token or --key/],
      [['request', action, '--key', keyOf('admin1')], /name the approvers with --stage/],
    ];
    for (const [args, message] of cases) {
      const run = await approval(args, UNREACHABLE_NODE);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const unreachable = await approval(['request', action, '--stage', '2 of role:admin', '--key', keyOf('admin1')], UNREACHABLE_NODE);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach ${UNREACHABLE_NODE}`);
  }, 60_000);
});
