/**
 * The fast path of EPCIS document validation (contracts/epcis/validate.ts, through
 * ledger/encoding/schema-fast-path.ts): whenever it answers, zod's anyEpcisDocumentSchema accepts
 * the same input and returns a value of the same structure, so validateEpcisDocument gives the
 * verdicts and messages of the schema alone. Checked on GS1's examples and the project's own, on
 * random one-step mutations of them (exotic values included), and on the fast path answering for
 * the documents a supplier sends, since a schema change that quietly turned it off would lose
 * its speed without failing anything else.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anyEpcisDocumentSchema } from '../../../contracts/epcis/document.js';
import { EPCIS_FAST_PATH_COMPILED, parseEpcisDocumentFast } from '../../../contracts/epcis/validate.js';
import { exoticValues, expectSameStructure, mutate, pathsOf, type Mutation } from '../../ledger/encoding/fast-path-support.js';
import { GS1_DIRECTORY } from '../../support/fixtures.js';

function documentsUnder(directory: string): unknown[] {
  const documents: unknown[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) documents.push(...documentsUnder(path));
    else if (name.endsWith('.jsonld') || name.endsWith('.json')) documents.push(JSON.parse(readFileSync(path, 'utf8')) as unknown);
  }
  return documents;
}

const gs1Examples = documentsUnder(join(GS1_DIRECTORY, 'examples'));
const projectExamples = documentsUnder(join(import.meta.dirname, '../../../examples'));
const accepted = [...gs1Examples, ...projectExamples].filter((document) => anyEpcisDocumentSchema.safeParse(document).success);

/** When the fast path answers, zod accepts with the same structure. */
function agrees(input: unknown): boolean {
  const fast = parseEpcisDocumentFast(input);
  if (fast === undefined) return false;
  const zod = anyEpcisDocumentSchema.safeParse(input);
  expect(zod.success, 'zod refused what the fast path accepted').toBe(true);
  if (zod.success) expectSameStructure(fast, zod.data);
  return true;
}

describe('the EPCIS document fast path', () => {
  it('compiles, and answers for the examples a supplier sends, with what zod returns', () => {
    expect(EPCIS_FAST_PATH_COMPILED).toBe(true);
    expect(projectExamples.length).toBeGreaterThanOrEqual(6);
    expect(accepted.length).toBeGreaterThan(projectExamples.length);
    for (const document of projectExamples) expect(agrees(document)).toBe(true);
    for (const document of accepted) agrees(document);
  });

  it('never answers for what zod refuses, on one-step mutations of every accepted example', () => {
    const values = fc.oneof(fc.constantFrom(...exoticValues()), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 12 }));
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      values.map((value) => ({ kind: 'set', value }) as const),
      fc.constant({ kind: 'delete' } as const),
      fc.tuple(fc.constantFrom('extra', 'acme:x', '__proto__', 'type', 'eventTime', '@context'), values).map(([key, value]) => ({ kind: 'add', key, value }) as const),
    );
    const cases = fc.integer({ min: 0, max: accepted.length - 1 }).chain((which) => {
      const document = accepted[which]!;
      const paths = [[], ...pathsOf(document)];
      return fc.tuple(fc.constant(document), fc.constantFrom(...paths), mutation);
    });
    let answered = 0;
    fc.assert(
      fc.property(cases, ([document, path, change]) => {
        if (agrees(mutate(document, path, change))) answered += 1;
      }),
      { numRuns: 1500 },
    );
    // Mutations that keep a document valid are answered too: the property was not checked on refusals alone.
    expect(answered).toBeGreaterThan(0);
  });
});
