/**
 * What every backend of the EPCIS REST binding checks of a capture before it is signed or
 * admitted, and how a rule's refusal is shown in a capture job (EPCIS 2.0 section 12; GS1's
 * openapi.yaml, CaptureJob.errors as RFC 7807 problems): the validator's backend and the
 * participant gateway's answer alike.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { validateEpcisDocument, type AnyEpcisDocument, type EpcisValidation } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import { problemType, type Problem } from './problem.js';

/** Events one capture through the binding may hold (GS1-EPCIS-Capture-Limit); the byte limit usually binds first. */
export const CAPTURE_EVENTS_MAX = 1000;
/** Validation errors listed in a 400 answer. */
const VALIDATION_ERRORS_SHOWN_MAX = 20;

/** The document's validation, or a 400 naming the first error's path and listing the first few. */
export function validatedDocument(document: JsonValue, path: string): EpcisValidation<AnyEpcisDocument> {
  const validation = validateEpcisDocument(document);
  if (!validation.ok) {
    const first = validation.errors[0]!;
    throw new ApiError(400, 'invalid-document', `${path}${first.path === '' ? '' : `.${first.path}`}: ${first.message}`, `${path}${first.path === '' ? '' : `.${first.path}`}`, {}, {
      errors: validation.errors.slice(0, VALIDATION_ERRORS_SHOWN_MAX).map((error) => ({ path: error.path, message: error.message })),
    });
  }
  return validation;
}

/** A refusal by the consortium's rules (docs/contracts.md reason codes) as a capture job's error. */
export function ruleProblem(code: string, message: string, extra: Record<string, unknown> = {}): Problem {
  return { type: problemType(400, code), title: "Refused by the consortium's rules", status: 400, detail: message, code, path: '', ...extra };
}
