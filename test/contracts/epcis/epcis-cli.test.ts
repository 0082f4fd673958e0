/** `custodia epcis validate FILE...`, run as the real command in a child process. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/run-cli.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

const EXAMPLES = join(GS1_DIRECTORY, 'examples');
const VALID = join(EXAMPLES, 'Example_9.6.1-ObjectEvent.jsonld');
const QUERY = join(EXAMPLES, 'EPCISQueryDocument.jsonld');

const newDirectory = temporaryDirectories('epcis-cli');

async function brokenCopy(directory: string): Promise<string> {
  const document = JSON.parse(readFileSync(VALID, 'utf8'));
  document.epcisBody.eventList[0].action = 'MOVE';
  document.epcisBody.eventList[1].bizStep = 'urn:epcglobal:cbv:bizstep:teleporting';
  const file = join(directory, 'broken.jsonld');
  await writeFile(file, JSON.stringify(document));
  return file;
}

describe('custodia epcis validate', () => {
  it('prints ok for valid files and each error with its path for invalid ones, and exits 1', async () => {
    const directory = await newDirectory();
    const broken = await brokenCopy(directory);
    const duplicateKeys = join(directory, 'duplicate-keys.jsonld');
    await writeFile(duplicateKeys, '{"type": "EPCISDocument", "type": "EPCISQueryDocument"}');
    const run = await runCli(['epcis', 'validate', VALID, broken, QUERY, duplicateKeys]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `${VALID}: ok`,
      `${broken}: 2 errors`,
      '  epcisBody.eventList[0].action: action must be ADD, OBSERVE or DELETE',
      expect.stringMatching(/^ {2}epcisBody\.eventList\[1\]\.bizStep: bizStep must be a business step that CBV 2\.0 section 7\.1 defines; /),
      `${QUERY}: ok`,
      `${duplicateKeys}: 1 error`,
      expect.stringMatching(/^ {2}not valid JSON: duplicate member name "type"/),
    ]);
  });

  it('exits 0 when every file is valid, and --json gives one result per file', async () => {
    const run = await runCli(['epcis', 'validate', '--json', VALID, QUERY]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { file: VALID, ok: true },
      { file: QUERY, ok: true },
    ]);
  });

  it('exits 2 for a file it cannot read, and for no files at all', async () => {
    const missing = join(await newDirectory(), 'missing.jsonld');
    const unreadable = await runCli(['epcis', 'validate', VALID, missing]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stdout).toBe(`${VALID}: ok\n`);
    expect(unreadable.stderr).toContain(`${missing}: cannot read: ENOENT`);
    const usage = await runCli(['epcis', 'validate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'files'");
  });
});
