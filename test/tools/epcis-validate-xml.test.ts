/**
 * `custodia epcis validate` on EPCIS XML files, run as the real command in a child process
 * (once: a child process costs seconds on a loaded machine; --json only adds the same fields).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { GS1_DIRECTORY } from '../support/fixtures.js';

const XML = join(GS1_DIRECTORY, 'xml');
const VALID_12 = join(XML, '1.2', 'AggregationEvent.xml');
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
});
