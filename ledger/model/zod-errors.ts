/** Turns a zod error into one message that names the offending field by its dotted path. */
import type { z } from 'zod';

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((segment) => String(segment)).join('.');
}

export function describeZodError(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { path: '', message: 'invalid value' };
  const path = formatPath(issue.path);
  return { path, message: path === '' ? issue.message : `${path}: ${issue.message}` };
}
