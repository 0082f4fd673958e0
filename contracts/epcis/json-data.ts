/**
 * Free-form JSON inside EPCIS 2.0 documents: extension values, ilmd content and @context
 * objects (EPCIS 2.0 JSON-LD binding). The standard leaves their shape open, so
 * the only rules are that they are plain JSON (RFC 8259 data that RFC 8785 can hash) and
 * stay within EPCIS_LIMITS.
 */
import { EPCIS_LIMITS } from './limits.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const LONE_SURROGATE_PATTERN = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** RFC 8785 section 3.1 (I-JSON) refuses strings that are not well-formed Unicode. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE_PATTERN.test(text);
}

export interface JsonDataProblem {
  /** Where inside the value, relative to it. */
  path: Array<string | number>;
  message: string;
}

/**
 * The first reason `value` is not bounded plain JSON, or undefined. Walks iteratively with an
 * explicit stack so that hostile nesting cannot overflow the call stack.
 */
export function jsonDataProblem(value: unknown): JsonDataProblem | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value, path: [], depth: 0 }];
  let valuesSeen = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    valuesSeen += 1;
    if (valuesSeen > EPCIS_LIMITS.extensionValuesMax) {
      return { path: [], message: `must hold at most ${EPCIS_LIMITS.extensionValuesMax} values in all` };
    }
    const current = item.value;
    if (current === null || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: item.path, message: 'must be a finite number' };
      continue;
    }
    if (typeof current === 'string') {
      if (current.length > EPCIS_LIMITS.stringLengthMax) {
        return { path: item.path, message: `must be at most ${EPCIS_LIMITS.stringLengthMax} characters long` };
      }
      if (hasLoneSurrogate(current)) return { path: item.path, message: 'must be well-formed Unicode (no lone UTF-16 surrogate)' };
      continue;
    }
    if (Array.isArray(current) || isPlainObject(current)) {
      if (item.depth >= EPCIS_LIMITS.extensionDepthMax) {
        return { path: item.path, message: `must not nest arrays and objects more than ${EPCIS_LIMITS.extensionDepthMax} levels deep` };
      }
      // Checked before pushing, so that one huge array or object cannot flood the stack first.
      const size = Array.isArray(current) ? current.length : Object.keys(current).length;
      if (valuesSeen + stack.length + size > EPCIS_LIMITS.extensionValuesMax) {
        return { path: [], message: `must hold at most ${EPCIS_LIMITS.extensionValuesMax} values in all` };
      }
      if (Array.isArray(current)) {
        // An indexed loop, not forEach: forEach skips holes, and a hole has no JSON spelling.
        for (let index = 0; index < current.length; index++) {
          stack.push({ value: current[index], path: [...item.path, index], depth: item.depth + 1 });
        }
      } else {
        for (const [name, member] of Object.entries(current)) {
          if (name.length > EPCIS_LIMITS.stringLengthMax) {
            return { path: item.path, message: `must not have member names longer than ${EPCIS_LIMITS.stringLengthMax} characters` };
          }
          if (hasLoneSurrogate(name)) return { path: item.path, message: 'must not have member names with a lone UTF-16 surrogate' };
          stack.push({ value: member, path: [...item.path, name], depth: item.depth + 1 });
        }
      }
      continue;
    }
    return { path: item.path, message: 'must be JSON data: null, a boolean, a finite number, a string, an array or an object' };
  }
  return undefined;
}
