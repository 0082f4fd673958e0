/** `custodia epcis validate` on EPCIS XML files, run as the real command in a child process. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { GS1_DIRECTORY } from '../support/fixtures.js';

const XML = join(GS1_DIRECTORY, 'xml');
const VALID_12 = join(XML, '1.2', 'AggregationEvent.xml');
const VALID_20 = join(XML, 'Example_9.6.1-ObjectEvent-2020_06_18a.xml');
const INVALID_20 = join(XML, 'Example-PersistentDisposition.xml');

const newDirectory = temporaryDirectories('epcis-xml-cli');

describe('custodia epcis validate on XML', () => {
  it('converts, names the version, prints the warnings, validates, and refuses what it cannot convert', async () => {
    const hostile = join(await newDirectory(), 'xxe.xml');
    await writeFile(hostile, '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>');
    const run = await runCli(['epcis', 'validate', VALID_12, INVALID_20, hostile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      `${VALID_12}: ok (EPCIS 1.2 XML)`,
      expect.stringMatching(/^ {2}warning: \/epcis:EPCISDocument\/EPCISBody\/EventList\/AggregationEvent\/example:myField: namespace http:\/\/ns\.example\.com\/epcis does not end/),
      '  warning: /epcis:EPCISDocument: an EPCIS 1.2 document, converted to the EPCIS 2.0 JSON-LD form (CBV URNs as bare words, extension wrappers flattened)',
      `${INVALID_20}: 2 errors (EPCIS 2.0 XML)`,
      expect.stringMatching(/^ {2}epcisBody\.eventList\[0\]\.persistentDisposition: persistentDisposition is not a member of AggregationEvent/),
      expect.stringMatching(/^ {2}epcisBody\.eventList\[1\]\.persistentDisposition: /),
      `${hostile}: not convertible EPCIS XML`,
      expect.stringMatching(/^ {2}doctype-refused: document type declarations are not accepted/),
    ]);
  });

  it('gives format, version and warnings in --json, and exits 0 when every file is valid', async () => {
    const run = await runCli(['epcis', 'validate', '--json', VALID_20, VALID_12]);
    expect(run.code).toBe(0);
    const outcomes = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(outcomes.map((outcome) => [outcome['file'], outcome['ok'], outcome['format'], outcome['version']])).toEqual([
      [VALID_20, true, 'xml', '2.0'],
      [VALID_12, true, 'xml', '1.2'],
    ]);
    expect((outcomes[1]!['warnings'] as Array<{ code: string }>).map((warning) => warning.code)).toEqual(['namespace-without-delimiter', 'converted-from-1.2']);
  });
});
