/**
 * Every example GS1 ships (test/fixtures/gs1/examples) is valid input, as a document and event
 * by event; and the vocabularies and standard prefixes built into contracts/epcis match GS1's
 * JSON schemas and JSON-LD contexts (test/fixtures/gs1/schema, test/fixtures/gs1/context).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EVENT_HASH_PATTERN,
  eventContentHash,
  eventsOfDocument,
  validateEpcisDocument,
  validateEpcisEvent,
  VOCABULARIES,
  vocabularyWebUri,
  type VocabularyKind,
} from '../../../contracts/epcis/index.js';
import { STANDARD_CONTEXT_PREFIXES } from '../../../contracts/epcis/context.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

const SHARED = GS1_DIRECTORY;
const EXAMPLES = join(SHARED, 'examples');

function jsonldFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? jsonldFiles(join(directory, entry.name)) : entry.name.endsWith('.jsonld') ? [join(directory, entry.name)] : []))
    .sort();
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const exampleFiles = jsonldFiles(EXAMPLES);

describe('GS1 examples', () => {
  it('are all found, in the subfolders too', () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(29);
    expect(exampleFiles.some((file) => file.includes('/WithSensorData/'))).toBe(true);
    expect(exampleFiles.some((file) => file.includes('/AssociationEvent/'))).toBe(true);
  });

  it.each(exampleFiles.map((file) => [relative(EXAMPLES, file), file]))('%s is accepted, and so is each of its events on its own', (_name, file) => {
    const result = validateEpcisDocument(readJson(file));
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    const events = eventsOfDocument(result.value);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const alone = validateEpcisEvent(event);
      expect(alone.ok ? [] : alone.errors).toEqual([]);
      expect(eventContentHash(event)).toMatch(EVENT_HASH_PATTERN);
      // Validation returns the event it was given, so the hash does not depend on the path taken.
      if (alone.ok) expect(eventContentHash(alone.value)).toBe(eventContentHash(event));
    }
  });

  it('carry the document context onto each event, once', () => {
    const result = validateEpcisDocument(readJson(join(EXAMPLES, 'Example_9.6.1-ObjectEvent.jsonld')));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [event] = eventsOfDocument(result.value);
    expect(event!['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis/' }]);
  });
});

/** Word lists as GS1 publishes them: the JSON schema enumeration and the JSON-LD context terms. */
const SOURCES: Record<VocabularyKind, { schema: string; definition: string; context: string }> = {
  bizStep: { schema: 'bizStep-JSON-Schema.json', definition: 'bizStep', context: 'cbv-context-bizstep.jsonld' },
  disposition: { schema: 'disposition-JSON-Schema.json', definition: 'disposition', context: 'cbv-context-disposition.jsonld' },
  bizTransactionType: { schema: 'bizTransaction-type-JSON-Schema.json', definition: 'bizTransaction-type', context: 'cbv-context-biztransaction-type.jsonld' },
  sourceDestinationType: { schema: 'source-dest-type-JSON-Schema.json', definition: 'source-dest-type', context: 'cbv-context-sourcedest-type.jsonld' },
  errorReason: { schema: 'error-reason-JSON-Schema.json', definition: 'error-reason', context: 'cbv-context-error-reason.jsonld' },
  component: { schema: 'component-JSON-Schema.json', definition: 'component', context: 'cbv-context-component.jsonld' },
  measurementType: { schema: 'measurement-type-JSON-Schema.json', definition: 'measurementType', context: 'gs1-context-measurement-type.jsonld' },
  sensorAlertType: { schema: 'sensor-alert-type-JSON-Schema.json', definition: 'sensorAlertType', context: 'gs1-context-sensor-alert-type.jsonld' },
};

describe('built-in vocabularies', () => {
  it.each(Object.entries(SOURCES))('%s matches GS1 schema enumeration and JSON-LD context', (kind, source) => {
    const schema = readJson(join(SHARED, 'schema', 'schemas', source.schema)) as {
      definitions: Record<string, { anyOf: Array<{ enum?: string[] }> }>;
    };
    const enumeration = schema.definitions[source.definition]!.anyOf.find((branch) => branch.enum !== undefined)!.enum!;
    const words = [...VOCABULARIES[kind as VocabularyKind].words].sort();
    expect(words).toEqual([...enumeration].sort());

    const context = (readJson(join(SHARED, 'context', source.context)) as { '@context': Record<string, unknown> })['@context'];
    const prefixes = new Map(Object.entries(context).filter(([, value]) => typeof value === 'string' && /[/:#]$/.test(value)) as Array<[string, string]>);
    const terms = Object.entries(context).filter(([term]) => !term.startsWith('@') && !prefixes.has(term));
    expect(terms.map(([term]) => term).sort()).toEqual(words);
    for (const [term, compact] of terms) {
      const [prefix, suffix] = (compact as string).split(':') as [string, string];
      expect(vocabularyWebUri(kind as VocabularyKind, term)).toBe(prefixes.get(prefix)! + suffix);
    }
  });

  it('standard context prefixes are those of the EPCIS 2.0 context', () => {
    const context = (readJson(join(SHARED, 'context', 'epcis-context-root.jsonld')) as { '@context': Record<string, unknown> })['@context'];
    const declared = Object.fromEntries(Object.entries(context).filter(([, value]) => typeof value === 'string' && /[/:#]$/.test(value)));
    expect(STANDARD_CONTEXT_PREFIXES).toEqual(declared);
  });
});
