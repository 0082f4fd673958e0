/**
 * A fast path for zod schemas applied to plain JSON data (issue 12, docs/performance.md,
 * "Levers").
 *
 * Every transaction and EPCIS document a validator admits goes through a zod schema, and zod's
 * machinery (a payload and an issue list per value, the union and discriminator plumbing, its
 * memo of recursive schemas) cost more than the checks themselves. What arrives is almost always
 * the plain data a JSON parser makes, and almost always valid. So a schema is compiled once into
 * a direct walk of such data that builds what zod would return (the same members in the same
 * order, fresh objects and arrays where zod makes them, the input itself where zod passes it
 * through) and runs the schema's own checks and refinements (the very functions zod would run,
 * with the payload zod would give them) on it.
 *
 * The fast path only ever answers "zod accepts this, and returns this", or UNSURE. It is UNSURE
 * when any check fails (so every refusal, with its paths and messages, still comes from zod),
 * and for anything out of the ordinary: a prototype other than Object's or Array's, symbol or
 * non-enumerable keys, a __proto__ or constructor member where zod treats them specially,
 * nesting past `depthMax`, an asynchronous check. A union is answered by the first option whose
 * type can match the input (a string option for a string, and so on): zod's first success is
 * that option's answer when the fast path is sure of it, and anything else is UNSURE.
 *
 * Schema kinds it does not know make compileSchemaFastPath return undefined (no fast path: every
 * input goes to zod), never a guess. The property tests in test/ledger/model/ and
 * test/contracts/epcis/ compare it with zod on random and mutated inputs.
 */
import type { z } from 'zod';

/** "Not sure": zod decides. */
export const UNSURE: unique symbol = Symbol('unsure');
export type Unsure = typeof UNSURE;

/** Parses `input` found `depth` containers deep, or gives UNSURE. */
export type FastParser = (input: unknown, depth: number) => unknown;

/** What JSON types a schema can accept at all, as bits: how a union picks the option that decides. */
export const TYPE = {
  string: 1,
  number: 2,
  boolean: 4,
  null: 8,
  undefined: 16,
  array: 32,
  object: 64,
  other: 128,
} as const;
export const ANY_TYPE = 255;
/** What z.json() accepts. */
export const JSON_TYPES = TYPE.string | TYPE.number | TYPE.boolean | TYPE.null | TYPE.array | TYPE.object;

export interface CompiledNode {
  parse: FastParser;
  types: number;
  /**
   * UNSURE from this node means zod refuses too (a literal or an enum without checks): a union
   * may then go on to its next option, as zod's own first-success rule does.
   */
  exact?: boolean;
}

export interface FastPathOptions {
  /** Containers nested deeper than this are left to zod. */
  depthMax: number;
  /** Schemas with a hand-written fast path (z.json() is one: see plainJsonCopy). */
  special?: ReadonlyMap<z.ZodType, CompiledNode>;
}

function typeBit(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return TYPE.string;
    case 'number':
      return TYPE.number;
    case 'boolean':
      return TYPE.boolean;
    case 'undefined':
      return TYPE.undefined;
    case 'object':
      return value === null ? TYPE.null : Array.isArray(value) ? TYPE.array : TYPE.object;
    default:
      return TYPE.other;
  }
}

class UnsupportedSchema extends Error {}

interface ZodCheckLike {
  _zod: { def: { when?: (payload: ZodPayload) => boolean }; check: (payload: ZodPayload) => unknown };
}

interface ZodPayload {
  value: unknown;
  issues: unknown[];
}

interface ZodInternals {
  def: {
    type: string;
    checks?: ZodCheckLike[];
    coerce?: boolean;
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    element?: z.ZodType;
    innerType?: z.ZodType;
    keyType?: z.ZodType;
    valueType?: z.ZodType;
    options?: z.ZodType[];
    discriminator?: string;
    unionFallback?: boolean;
    inclusive?: boolean;
    mode?: string;
  };
  traits: Set<string>;
  optin?: string;
  optout?: string;
  values?: Set<unknown>;
}

function internals(schema: z.ZodType): ZodInternals {
  return schema._zod as unknown as ZodInternals;
}

/** An object zod would read as a plain object and the fast path can copy: one made by `{}` or JSON parsing. */
export function isOrdinaryObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function isOrdinaryArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

/**
 * z.json() as zod applies it to plain data: strings, finite numbers, booleans, null, and arrays
 * and objects of them, copied (zod's record reads every own key, refuses symbols, skips hidden
 * keys and drops a __proto__ member: all of those are UNSURE here).
 */
export function plainJsonCopy(depthMax: number): CompiledNode {
  const copy = (value: unknown, depth: number): unknown => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : UNSURE;
      case 'object':
        break;
      default:
        return UNSURE;
    }
    if (value === null) return null;
    if (depth >= depthMax) return UNSURE;
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return UNSURE;
      const out: unknown[] = new Array(value.length);
      for (let index = 0; index < value.length; index++) {
        const element = copy(value[index], depth + 1);
        if (element === UNSURE) return UNSURE;
        out[index] = element;
      }
      return out;
    }
    if (!isOrdinaryObject(value)) return UNSURE;
    const keys = Object.keys(value);
    if (Reflect.ownKeys(value).length !== keys.length) return UNSURE;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (key === '__proto__' || key === 'constructor') return UNSURE;
      const member = copy(value[key], depth + 1);
      if (member === UNSURE) return UNSURE;
      out[key] = member;
    }
    return out;
  };
  return { parse: copy, types: JSON_TYPES };
}

/** The checks zod runs on a schema's output: the schema itself when it is a check (z.custom), then its own. */
function checksOf(schema: z.ZodType): ZodCheckLike[] {
  const zod = internals(schema);
  return [...(zod.traits.has('$ZodCheck') ? [schema as unknown as ZodCheckLike] : []), ...(zod.def.checks ?? [])];
}

/** `parse`, then the checks on its output, as zod's run does; any issue makes it UNSURE. */
function withChecks(parse: FastParser, checks: ZodCheckLike[]): FastParser {
  if (checks.length === 0) return parse;
  return (input, depth) => {
    const value = parse(input, depth);
    if (value === UNSURE) return UNSURE;
    const payload: ZodPayload = { value, issues: [] };
    for (const check of checks) {
      const when = check._zod.def.when;
      if (when !== undefined && !when(payload)) continue;
      const result = check._zod.check(payload);
      if (result instanceof Promise || payload.issues.length > 0) return UNSURE;
    }
    return value;
  };
}

class Compiler {
  private readonly cache = new Map<z.ZodType, CompiledNode>();

  constructor(private readonly options: FastPathOptions) {}

  compile(schema: z.ZodType): CompiledNode {
    const special = this.options.special?.get(schema);
    if (special !== undefined) return special;
    const cached = this.cache.get(schema);
    if (cached !== undefined) return cached;
    const node = this.compileNode(schema);
    this.cache.set(schema, node);
    return node;
  }

  private compileNode(schema: z.ZodType): CompiledNode {
    const { def } = internals(schema);
    if (def.coerce === true) throw new UnsupportedSchema('a coercing schema');
    const checked = (parse: FastParser, types: number): CompiledNode => ({ parse: withChecks(parse, checksOf(schema)), types });
    switch (def.type) {
      case 'string':
        return checked((input) => (typeof input === 'string' ? input : UNSURE), TYPE.string);
      case 'number':
        return checked((input) => (typeof input === 'number' && Number.isFinite(input) ? input : UNSURE), TYPE.number);
      case 'boolean':
        return checked((input) => (typeof input === 'boolean' ? input : UNSURE), TYPE.boolean);
      case 'null':
        return checked((input) => (input === null ? null : UNSURE), TYPE.null);
      case 'literal':
      case 'enum': {
        const values = internals(schema).values;
        if (!(values instanceof Set)) throw new UnsupportedSchema(`${def.type} without values`);
        let types = 0;
        for (const value of values) types |= typeBit(value);
        const node = checked((input) => (values.has(input) ? input : UNSURE), types);
        return checksOf(schema).length === 0 ? { ...node, exact: true } : node;
      }
      case 'custom':
        // z.custom passes its input through as it is; its own function is one of its checks.
        return checked((input) => input, ANY_TYPE);
      case 'optional':
        return this.compileOptional(schema);
      case 'array':
        return this.compileArray(schema);
      case 'object':
        return this.compileObject(schema);
      case 'record':
        return this.compileRecord(schema);
      case 'union':
        return def.discriminator !== undefined ? this.compileDiscriminatedUnion(schema) : this.compileUnion(schema);
      default:
        throw new UnsupportedSchema(`schema type ${def.type}`);
    }
  }

  private compileOptional(schema: z.ZodType): CompiledNode {
    const zod = internals(schema);
    if (zod.optin !== 'optional' || zod.optout !== 'optional') throw new UnsupportedSchema('an optional with a default');
    const inner = this.compile(zod.def.innerType!);
    const parse: FastParser = (input, depth) => (input === undefined ? undefined : inner.parse(input, depth));
    return { parse: withChecks(parse, checksOf(schema)), types: inner.types | TYPE.undefined };
  }

  private compileArray(schema: z.ZodType): CompiledNode {
    const element = this.compile(internals(schema).def.element!);
    const depthMax = this.options.depthMax;
    const parse: FastParser = (input, depth) => {
      if (!isOrdinaryArray(input) || depth >= depthMax) return UNSURE;
      const out: unknown[] = new Array(input.length);
      for (let index = 0; index < input.length; index++) {
        const item = element.parse(input[index], depth + 1);
        if (item === UNSURE) return UNSURE;
        out[index] = item;
      }
      return out;
    };
    return { parse: withChecks(parse, checksOf(schema)), types: TYPE.array };
  }

  private compileObject(schema: z.ZodType): CompiledNode {
    const { def } = internals(schema);
    const fields = Object.entries(def.shape!).map(([key, field]) => {
      if (key === '__proto__') throw new UnsupportedSchema('a __proto__ member');
      const zod = internals(field);
      if (zod.optin === 'defaulted') throw new UnsupportedSchema('a member with a default');
      // zod leaves an absent member out only when it is optional both ways; any other absent member is refused.
      return { key, optional: zod.optin === 'optional' && zod.optout === 'optional', parse: this.compile(field).parse };
    });
    const known = new Set(fields.map((field) => field.key));
    // No catchall: unknown members are dropped; `never`: refused; otherwise each is parsed by it.
    const catchallType = def.catchall === undefined ? 'strip' : internals(def.catchall).def.type === 'never' ? 'strict' : 'parse';
    const catchall = catchallType === 'parse' ? this.compile(def.catchall!).parse : undefined;
    const depthMax = this.options.depthMax;
    const parse: FastParser = (input, depth) => {
      if (!isOrdinaryObject(input) || depth >= depthMax) return UNSURE;
      const out: Record<string, unknown> = {};
      // Members in the schema's order, as zod writes them; a present member is kept even when undefined.
      for (const { key, optional, parse: parseField } of fields) {
        if (!(key in input)) {
          if (optional) continue;
          return UNSURE;
        }
        const value = parseField(input[key], depth + 1);
        if (value === UNSURE) return UNSURE;
        out[key] = value;
      }
      if (catchallType === 'strip') return out;
      // The other members as zod's catchall reads them: for...in, after the schema's members.
      for (const key in input) {
        if (known.has(key)) continue;
        if (catchall === undefined || key === '__proto__') return UNSURE;
        const value = catchall(input[key], depth + 1);
        if (value === UNSURE) return UNSURE;
        out[key] = value;
      }
      return out;
    };
    return { parse: withChecks(parse, checksOf(schema)), types: TYPE.object };
  }

  private compileRecord(schema: z.ZodType): CompiledNode {
    const { def } = internals(schema);
    if (def.mode !== undefined && def.mode !== 'strict') throw new UnsupportedSchema(`a ${def.mode} record`);
    // A key schema that lists its keys takes another branch in zod.
    if (internals(def.keyType!).values !== undefined) throw new UnsupportedSchema('a record with enumerated keys');
    const key = this.compile(def.keyType!).parse;
    const value = this.compile(def.valueType!).parse;
    const depthMax = this.options.depthMax;
    const parse: FastParser = (input, depth) => {
      if (!isOrdinaryObject(input) || depth >= depthMax) return UNSURE;
      const keys = Object.keys(input);
      if (Reflect.ownKeys(input).length !== keys.length) return UNSURE;
      const out: Record<string, unknown> = {};
      for (const name of keys) {
        if (name === '__proto__' || name === 'constructor' || key(name, depth + 1) !== name) return UNSURE;
        const member = value(input[name], depth + 1);
        if (member === UNSURE) return UNSURE;
        out[name] = member;
      }
      return out;
    };
    return { parse: withChecks(parse, checksOf(schema)), types: TYPE.object };
  }

  private compileUnion(schema: z.ZodType): CompiledNode {
    const { def } = internals(schema);
    if (def.inclusive === false) throw new UnsupportedSchema('an exclusive union');
    const options = def.options!.map((option) => this.compile(option));
    let types = 0;
    for (const option of options) types |= option.types;
    const parse: FastParser = (input, depth) => {
      const type = typeBit(input);
      // The first option that can match decides: an earlier one could not have matched at all, or
      // (an exact option's refusal) zod refuses it too.
      for (const option of options) {
        if ((option.types & type) === 0) continue;
        const value = option.parse(input, depth);
        if (value === UNSURE && option.exact === true) continue;
        return value;
      }
      return UNSURE;
    };
    return { parse: withChecks(parse, checksOf(schema)), types };
  }

  private compileDiscriminatedUnion(schema: z.ZodType): CompiledNode {
    const { def } = internals(schema);
    if (def.unionFallback === true) throw new UnsupportedSchema('a discriminated union with a fallback');
    const discriminator = def.discriminator!;
    const byValue = new Map<unknown, CompiledNode | null>();
    for (const option of def.options!) {
      const tag = internals(option).def.shape?.[discriminator];
      const values = tag === undefined ? undefined : internals(tag).values;
      if (!(values instanceof Set)) throw new UnsupportedSchema('a discriminated union option without a literal tag');
      const compiled = this.compile(option);
      // A tag two options share is left to zod.
      for (const value of values) byValue.set(value, byValue.has(value) ? null : compiled);
    }
    const parse: FastParser = (input, depth) => {
      if (!isOrdinaryObject(input)) return UNSURE;
      const option = byValue.get(input[discriminator]);
      return option === undefined || option === null ? UNSURE : option.parse(input, depth);
    };
    return { parse: withChecks(parse, checksOf(schema)), types: TYPE.object };
  }
}

/**
 * The fast path of `schema`: what schema.safeParse(input) returns as data when it is sure that
 * zod accepts, or UNSURE. Undefined when the schema uses a kind the fast path does not know.
 */
export function compileSchemaFastPath(schema: z.ZodType, options: FastPathOptions): ((input: unknown) => unknown) | undefined {
  let root: CompiledNode;
  try {
    root = new Compiler(options).compile(schema);
  } catch (error) {
    // Only costs speed: every input then goes to zod.
    if (error instanceof UnsupportedSchema) return undefined;
    throw error;
  }
  return (input) => root.parse(input, 0);
}
