/**
 * GS1's EPCIS 2.0 JSON schema (test/fixtures/gs1/schema, draft-07) compiled with ajv, for the
 * tests that compare Custodia's zod validation with it: the fixed cases of
 * test/contracts/epcis/gs1-agreement.test.ts and the property of gs1-differential.test.ts.
 * Compiled once per test file (ajv's compile is the slow part).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GS1_DIRECTORY } from './fixtures.js';

const SCHEMA_DIRECTORY = join(GS1_DIRECTORY, 'schema');
const ROOT_SCHEMA_ID = 'https://gs1.github.io/EPCIS/JSON-Schema/EPCIS-JSON-Schema.json';

/**
 * GS1's schemas reference each other by relative $ref against their $id, so all of them are
 * added before compiling the root. Draft-07 is ajv 8's default dialect. `strictRequired` must be
 * off: the schemas list members under `required` in subschemas that do not declare them under
 * `properties` (TransformationEvent's transformationID branch, required-ld-context), which is
 * legal JSON Schema that ajv's strict mode refuses. Every other strict check stays on.
 */
export function compileGs1Schema(): ValidateFunction {
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  // ajv-formats is CommonJS: its function is both the module and its `default` member.
  ajvFormats.default(ajv);
  const files = [
    ...readdirSync(SCHEMA_DIRECTORY).filter((name) => name.endsWith('.json')).map((name) => join(SCHEMA_DIRECTORY, name)),
    ...readdirSync(join(SCHEMA_DIRECTORY, 'schemas')).map((name) => join(SCHEMA_DIRECTORY, 'schemas', name)),
  ];
  for (const file of files) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
  const validate = ajv.getSchema(ROOT_SCHEMA_ID);
  if (validate === undefined) throw new Error(`GS1 root schema ${ROOT_SCHEMA_ID} not found`);
  return validate;
}

export type Gs1Verdict = { verdict: 'accept' } | { verdict: 'refuse'; errors: ErrorObject[] };

/** ajv's answer as a value; `errors` is copied, since ajv reuses its array on the next call. */
export function gs1Verdict(validate: ValidateFunction, document: unknown): Gs1Verdict {
  return validate(document) ? { verdict: 'accept' } : { verdict: 'refuse', errors: [...(validate.errors ?? [])] };
}
