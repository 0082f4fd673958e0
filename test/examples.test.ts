/**
 * The example documents in examples/ (the README's submit command uses one): each is valid for
 * Custodia's own validator (what `custodia epcis validate` and `custodia submit` run) and for
 * GS1's EPCIS 2.0 JSON schema (test/fixtures/gs1/schema, run by ajv as in
 * test/contracts/epcis/gs1-agreement.test.ts), names only the demo participants' company
 * prefixes, and, submitted by the demo farm in the order examples/README.md gives, each commits.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { parseStrictJson } from '../ledger/encoding/strict-json.js';
import { eventsOfDocument, validateEpcisDocument, validateEpcisEvent } from '../contracts/epcis/index.js';
import { companyPrefixOf } from '../contracts/participants.js';
import { DEMO_PARTICIPANTS } from '../node/testnet.js';
import { ContractHarness, PARTIES } from './contracts/support/harness.js';
import { GS1_DIRECTORY } from './support/fixtures.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const ROOT_SCHEMA_ID = 'https://gs1.github.io/EPCIS/JSON-Schema/EPCIS-JSON-Schema.json';

/** The order in which the farm can submit them to one chain (examples/README.md). */
const SUBMISSION_ORDER = [
  'object-event-commissioning.jsonld',
  'transformation-event.jsonld',
  'aggregation-event.jsonld',
  'association-event.jsonld',
  'transaction-event.jsonld',
  'object-event-shipping.jsonld',
];

/** GS1's schemas, compiled as gs1-agreement.test.ts does (see there why strictRequired is off). */
function compileGs1Schema(): ValidateFunction {
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  ajvFormats.default(ajv);
  const schemaDirectory = join(GS1_DIRECTORY, 'schema');
  const files = [
    ...readdirSync(schemaDirectory).filter((name) => name.endsWith('.json')).map((name) => join(schemaDirectory, name)),
    ...readdirSync(join(schemaDirectory, 'schemas')).map((name) => join(schemaDirectory, 'schemas', name)),
  ];
  for (const file of files) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
  const validate = ajv.getSchema(ROOT_SCHEMA_ID);
  if (validate === undefined) throw new Error(`GS1 root schema ${ROOT_SCHEMA_ID} not found`);
  return validate;
}

const gs1 = compileGs1Schema();
const exampleFiles = readdirSync(EXAMPLES).filter((name) => name.endsWith('.jsonld')).sort();

/** Parsed as `custodia submit` parses it: strict JSON (no duplicate members, no __proto__). */
function readExample(name: string): JsonValue {
  const parsed = parseStrictJson(readFileSync(join(EXAMPLES, name), 'utf8'));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error.message}`);
  return parsed.value;
}

/** Every EPC URN anywhere in a document (identifiers, classes, locations, parties). */
function epcUrns(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('urn:epc:') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(epcUrns);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(epcUrns);
  return [];
}

describe('examples/', () => {
  it('holds one example per event type, every one listed in examples/README.md and in the submission order', () => {
    expect(exampleFiles).toEqual([...SUBMISSION_ORDER].sort());
    const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
    for (const name of exampleFiles) expect(readme).toContain(name);
    const types = exampleFiles.flatMap((name) => {
      const result = validateEpcisDocument(readExample(name));
      return result.ok ? eventsOfDocument(result.value).map((event) => `${event.type}${event.type === 'ObjectEvent' ? ` ${event.bizStep}` : ''}`) : [];
    });
    expect(types.sort()).toEqual(['AggregationEvent', 'AssociationEvent', 'ObjectEvent commissioning', 'ObjectEvent shipping', 'TransactionEvent', 'TransformationEvent']);
  });

  it.each(exampleFiles)('%s is valid for Custodia, document and each event alone, and for GS1\'s JSON schema', (name) => {
    const document = readExample(name);
    const result = validateEpcisDocument(document);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    for (const event of eventsOfDocument(result.value)) {
      const alone = validateEpcisEvent(event);
      expect(alone.ok ? [] : alone.errors).toEqual([]);
    }
    const gs1Valid = gs1(document);
    expect(gs1Valid ? [] : gs1.errors).toEqual([]);
  });

  it.each(exampleFiles)('%s names only company prefixes of the demo participants', (name) => {
    const prefixes = new Set(DEMO_PARTICIPANTS.map((participant) => participant.companyPrefix));
    const urns = epcUrns(readExample(name));
    expect(urns.length).toBeGreaterThan(0);
    expect(urns.filter((urn) => !prefixes.has(companyPrefixOf(urn) ?? ''))).toEqual([]);
  });

  it('commit one after the other when the demo farm submits them, once per chain', async () => {
    // The contract tests' farm is the devnet's farm: the same participant id and company prefix.
    const farm = DEMO_PARTICIPANTS.find((participant) => participant.name === 'farm')!;
    expect(PARTIES.farm.id).toBe(farm.id);
    expect(farm.companyPrefix).toBe('0614141');

    const harness = new ContractHarness();
    for (const name of SUBMISSION_ORDER) {
      const run = await harness.run('epcis.capture', { document: readExample(name) }, ['farm']);
      expect({ name, result: run.result }).toEqual({ name, result: { status: 'accepted' } });
    }
    const pallet = 'urn:epc:id:sscc:0614141.1000007301';
    expect(await harness.record(pallet)).toMatchObject({ possessor: farm.id, inTransit: [{ from: farm.id, to: PARTIES.processor.id }] });

    // The same example again is refused; with a new lot code and serials it is a new harvest.
    const again = await harness.run('epcis.capture', { document: readExample('object-event-commissioning.jsonld') }, ['farm']);
    expect(again.result).toMatchObject({ status: 'rejected', code: 'duplicate-event' });
    const renamed = JSON.parse(JSON.stringify(readExample('object-event-commissioning.jsonld')).replaceAll('GV25K7Q', 'GV25K7R').replaceAll('K7Q100', 'K7R100')) as JsonValue;
    expect((await harness.run('epcis.capture', { document: renamed }, ['farm'])).result).toEqual({ status: 'accepted' });
  });
});
