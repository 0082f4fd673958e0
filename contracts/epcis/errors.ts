/**
 * Validation errors as values (the house rule: expected failures are returned, never thrown),
 * each naming the offending field by its path, such as `epcisBody.eventList[0].epcList[2]`,
 * and by name in its message. Turns zod issues from the EPCIS 2.0 schemas into that form.
 */
import type { z } from 'zod';
import { EPCIS_LIMITS } from './limits.js';

export interface EpcisValidationError {
  /** Dotted path with [index] for list entries and ["name"] for names that are not identifiers; '' for the whole input. */
  path: string;
  message: string;
}

/**
 * `warnings`, present only when there are some, name what is accepted but likely a mistake,
 * such as a prefix no @context declares (read as a URI scheme under JSON-LD); capped like errors.
 */
export type EpcisValidation<T> = { ok: true; value: T; warnings?: EpcisValidationError[] } | { ok: false; errors: EpcisValidationError[] };

export type PathSegment = string | number;

const IDENTIFIER_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER_PATTERN.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/** The field a path ends at, for messages: `epcList[2]` for `epcisBody.eventList[0].epcList[2]`. */
export function fieldLabel(segments: readonly PropertyKey[], wholeInput: string): string {
  let start = segments.length;
  while (start > 0 && typeof segments[start - 1] === 'number') start--;
  if (start === 0) return segments.length === 0 ? wholeInput : `${wholeInput}${formatPath(segments)}`;
  const name = segments[start - 1];
  const nameText = typeof name === 'string' && IDENTIFIER_PATTERN.test(name) ? name : JSON.stringify(String(name));
  return nameText + formatPath(segments.slice(start));
}

export function errorAt(segments: readonly PropertyKey[], predicate: string, wholeInput: string): EpcisValidationError {
  return { path: formatPath(segments), message: `${fieldLabel(segments, wholeInput)} ${predicate}` };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

function expectedType(expected: string): string {
  switch (expected) {
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a finite number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

/** The errors a zod issue stands for; one issue may name several fields (unknown members). */
function issueErrors(issue: z.core.$ZodIssue, wholeInput: string): EpcisValidationError[] {
  const path = issue.path;
  switch (issue.code) {
    case 'invalid_type':
      // reportInput puts the input on the issue; a missing member has none.
      if (!('input' in issue) || issue.input === undefined) return [errorAt(path, 'is required', wholeInput)];
      return [errorAt(path, `must be ${expectedType(issue.expected)}; got ${describeType(issue.input)}`, wholeInput)];
    case 'unrecognized_keys': {
      const owner = fieldLabel(path, wholeInput);
      return issue.keys.map((key) => errorAt([...path, key], `is not a member of ${owner}`, wholeInput));
    }
    case 'invalid_union':
      // zod marks an unknown `type` this way; the fields are on the issue but not in its type.
      if ((issue as { note?: unknown }).note === 'No matching discriminator') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [errorAt(path, `must be one of ${options.map(String).join(', ')}`, wholeInput)];
      }
      return [errorAt(path, issue.message, wholeInput)];
    default:
      return [errorAt(path, issue.message, wholeInput)];
  }
}

/** `wholeInput` names the input in messages about its root, such as "document" or "event". */
export function errorsFromIssues(issues: readonly z.core.$ZodIssue[], wholeInput: string): EpcisValidationError[] {
  return issues.flatMap((issue) => issueErrors(issue, wholeInput));
}

/** Caps a list of findings so that a hostile input cannot make the answer larger than the question. */
function capped(findings: readonly EpcisValidationError[], noun: string): EpcisValidationError[] {
  const shown = findings.slice(0, EPCIS_LIMITS.errorsReportedMax);
  if (findings.length > shown.length) shown.push({ path: '', message: `and ${findings.length - shown.length} more ${noun}` });
  return shown;
}

/** An acceptance, with its warnings if there are any. */
export function success<T>(value: T, warnings: readonly EpcisValidationError[]): EpcisValidation<T> {
  return warnings.length === 0 ? { ok: true, value } : { ok: true, value, warnings: capped(warnings, 'warnings') };
}

/** A refusal, its errors capped. */
export function failure<T>(errors: readonly EpcisValidationError[]): EpcisValidation<T> {
  return { ok: false, errors: capped(errors, 'errors') };
}
