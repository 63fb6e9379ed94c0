import type { z } from 'zod';
import { didYouMean } from './nearest.js';

type Issue = z.ZodError['issues'][number];

export interface IssueContext {
  /** What the object's keys are called: 'option' (default 'key'). */
  noun?: string;
  /** Whose keys they are, e.g. a method name: "unknown option 'x' for neuromask". */
  owner?: string;
  /** The object is a command's flags: name fields `--kebab-case`. */
  flags?: boolean;
  /** The schema that failed, to suggest the nearest allowed key for an unknown one. */
  schema?: z.ZodType;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  items?: z.ZodType[];
  valueType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(s: unknown): Def | undefined {
  return (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** The object keys `schema` allows at `path`, seen through optional/default/array/tuple/union/pipe. */
export function keysAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] {
  let d = defOf(schema);
  let i = 0;
  while (d) {
    if (d.innerType) d = defOf(d.innerType);
    else if (d.type === 'pipe') d = defOf(d.in);
    else if (d.type === 'union') return [...new Set((d.options ?? []).flatMap((o) => keysAt(o, path.slice(i))))];
    else if (i === path.length) return d.shape ? Object.keys(d.shape) : [];
    else {
      const k = path[i++]!;
      d = defOf(d.shape?.[String(k)] ?? d.element ?? d.items?.[Number(k)] ?? d.valueType);
    }
  }
  return [];
}

const TYPES: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  undefined: 'nothing',
  null: 'null',
  NaN: 'not a number',
};
const typeWords = (t: string): string => TYPES[t] ?? t;

function received(issue: Issue): string {
  const r = (issue as { received?: string }).received ?? /received (\w+)/.exec(issue.message)?.[1];
  return r ?? 'something else';
}

const quote = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : String(v));

function oneOf(values: readonly unknown[]): string {
  if (values.length === 1) return `must be ${quote(values[0])}`;
  return `must be one of ${values.map(quote).join(', ')}`;
}

function plural(n: number | bigint, one: string): string {
  return `${n} ${one}${Number(n) === 1 ? '' : 's'}`;
}

/** Zod's own messages start like this; anything else was written by us in a schema and is kept. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

/** One issue's problem in words, without where it is. */
function problem(issue: Issue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const got = received(issue);
      if (issue.expected === 'int' && got === 'number') return 'must be a whole number';
      return got === 'undefined' ? `missing (expected ${typeWords(issue.expected)})` : `expected ${typeWords(issue.expected)}, got ${typeWords(got)}`;
    }
    case 'too_small': {
      const n = issue.minimum;
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${plural(n, 'item')}`;
      if (issue.origin === 'string') return Number(n) === 1 ? 'must not be empty' : `needs at least ${plural(n, 'character')}`;
      return `must be ${issue.inclusive ? '≥' : '>'} ${n}`;
    }
    case 'too_big': {
      const n = issue.maximum;
      if (issue.origin === 'array' || issue.origin === 'set') return `takes at most ${plural(n, 'item')}`;
      if (issue.origin === 'string') return `takes at most ${plural(n, 'character')}`;
      return `must be ${issue.inclusive ? '≤' : '<'} ${n}`;
    }
    case 'invalid_value':
      return oneOf(issue.values);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_format':
      return `is not a valid ${issue.format}`;
    case 'invalid_union': {
      const firsts = issue.errors.map((branch) => branch[0]).filter((i): i is Issue => i !== undefined);
      if (firsts.length > 0 && firsts.every((i) => i.code === 'invalid_value')) return oneOf(firsts.flatMap((i) => (i.code === 'invalid_value' ? i.values : [])));
      const typed = firsts.filter((i) => i.code === 'invalid_type');
      if (typed.length === firsts.length && typed.length > 0) {
        return `expected ${typed.map((i) => (i.code === 'invalid_type' ? typeWords(i.expected) : '')).join(' or ')}, got ${typeWords(received(typed[0]!))}`;
      }
      // The branch whose type matched says what is wrong with the value.
      const matched = firsts.find((i) => i.code !== 'invalid_type');
      return matched ? problem(matched) : 'is not valid';
    }
    default:
      return issue.message;
  }
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Where an issue is, in the words of `ctx`. */
function where(path: readonly PropertyKey[], ctx: IssueContext): string {
  const p = path.map(String).join('.');
  const noun = ctx.noun ?? 'key';
  if (ctx.flags && p) return `--${kebab(p)}`;
  if (ctx.owner) return p ? `${noun} ${p} for ${ctx.owner}` : `${noun}s for ${ctx.owner}`;
  return p || '(top level)';
}

function unknownKeys(issue: Issue & { code: 'unrecognized_keys' }, ctx: IssueContext): string {
  const known = keysAt(ctx.schema, issue.path);
  const noun = ctx.noun ?? 'key';
  const at = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  const owner = ctx.owner ? ` for ${ctx.owner}` : '';
  if (ctx.schema && known.length === 0) return `${at}${ctx.owner ?? 'this'} takes no ${noun}s (got ${issue.keys.map(quote).join(', ')})`;
  const each = issue.keys.map((k) => `unknown ${noun} ${ctx.flags ? `--${kebab(k)}` : quote(k)}${owner}${didYouMean(k, known)}`);
  return `${at}${each.join('; ')}`;
}

/**
 * A zod error as one line of words: "unknown option 'iteration' for neuromask; did you mean
 * 'iterations'?", "images.3.boxes.0: needs at least 4 items", "--alpha: must be ≤ 1". At most three
 * issues; the rest are counted.
 */
export function describeZodError(error: z.ZodError, ctx: IssueContext = {}): string {
  const shown = error.issues.slice(0, 3).map((i) => (i.code === 'unrecognized_keys' ? unknownKeys(i, ctx) : `${where(i.path, ctx)}: ${problem(i)}`));
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (and ${plural(more, 'more problem')})` : '');
}
