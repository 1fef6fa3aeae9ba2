/**
 * Canonical encoding: the deterministic bytes a signature covers, identical in every process.
 *
 * Chosen form (the JSON Canonicalization Scheme of RFC 8785, for the values we carry):
 * - UTF-8 JSON with no white space;
 * - object members sorted by key in UTF-16 code unit order (JavaScript's default sort), members
 *   whose value is `undefined` left out, as `JSON.stringify` does;
 * - strings escaped as `JSON.stringify` escapes them (lone surrogates as `\udXXX`);
 * - numbers in ECMAScript shortest round-trip form (`Number.prototype.toString`, `-0` as `0`),
 *   which is what JSON.parse followed by re-encoding gives back on any receiver;
 * - only JSON values: `null`, booleans, finite numbers, strings, arrays and plain objects.
 *   Anything else (NaN, a bigint, a Date, `undefined` in an array) throws
 *   {@link CanonicalEncodingError} rather than being silently coerced, and so does nesting
 *   deeper than {@link MAX_DEPTH}.
 *
 * Fast path: a value whose objects already list their keys in sorted order (everything parsed
 * from a canonical message, and what `createEnvelope` builds) is canonical as `JSON.stringify`
 * writes it, so one read-only walk decides and the native encoder does the rest. Otherwise the
 * same walk rebuilds just the objects out of order (and their ancestors) with sorted keys, and
 * that is stringified; only an object out of order with array-index keys (`"10"`, which V8
 * always enumerates first) sends the value to the hand-written encoder.
 */
import { CanonicalEncodingError } from './errors.js';
import { MAX_DEPTH } from './limits.js';

/** What {@link inspectJson} found. */
export type JsonShape = 'sorted' | 'unsorted' | 'invalid';

/**
 * Walks a value once, at most `maxDepth` levels deep: `invalid` when it is not a JSON value
 * or nests deeper, `sorted` when every object's keys are already in canonical order.
 * Recursion stops at the limit, so any input is safe to inspect.
 */
export function inspectJson(value: unknown, maxDepth: number = MAX_DEPTH): JsonShape {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return 'sorted';
    case 'number':
      return Number.isFinite(value) ? 'sorted' : 'invalid';
    case 'object': {
      if (value === null) return 'sorted';
      if (maxDepth < 1) return 'invalid';
      let shape: JsonShape = 'sorted';
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          if (item === undefined) return 'invalid';
          const inner = inspectJson(item, maxDepth - 1);
          if (inner === 'invalid') return inner;
          if (inner === 'unsorted') shape = inner;
        }
        return shape;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return 'invalid';
      const record = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key of Object.keys(record)) {
        if (previous !== undefined && previous >= key) shape = 'unsorted';
        previous = key;
        const member = record[key];
        if (member === undefined) continue;
        const inner = inspectJson(member, maxDepth - 1);
        if (inner === 'invalid') return inner;
        if (inner === 'unsorted') shape = inner;
      }
      return shape;
    }
    default:
      return 'invalid';
  }
}

/** The canonical JSON text of a JSON value; throws {@link CanonicalEncodingError}. */
export function canonicalJson(value: unknown): string {
  const view = sortedView(value, MAX_DEPTH);
  // Not JSON, too deep, or an object whose order only the hand-written encoder can write: it
  // encodes, or explains what is wrong.
  if (view === INVALID || view === NOT_COPYABLE) return encode(value, 1);
  return JSON.stringify(view);
}

const INVALID = Symbol('invalid');
const NOT_COPYABLE = Symbol('not copyable');
/** Keys that V8 enumerates first, in numeric order, whatever the insertion order. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * Sorts keys in place by UTF-16 code units, as `Array.prototype.sort` does: by insertion for the
 * few keys of a message's objects, where the native sort costs far more than its comparisons.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
}

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 0x30 && first <= 0x39 && ARRAY_INDEX.test(key);
}

/**
 * One walk of a value, at most `maxDepth` levels deep, that `JSON.stringify` then writes
 * canonically: `value` itself when every object in it already lists its keys in sorted order
 * (what `createEnvelope` builds, and everything parsed from a canonical message), otherwise a
 * copy in which each object out of order, and each array or object holding one, is rebuilt
 * with its keys inserted in sorted order, everything else shared. {@link INVALID} when the value
 * is not JSON or nests deeper; {@link NOT_COPYABLE} when an object out of order has an
 * array-index key, whose place insertion cannot control. (What `inspectJson` then a full
 * sorted copy did, in one pass, copying only what must move.)
 */
function sortedView(value: unknown, maxDepth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : INVALID;
    case 'object': {
      if (value === null) return value;
      if (maxDepth < 1) return INVALID;
      if (Array.isArray(value)) return arrayView(value as unknown[], maxDepth);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return INVALID;
      return objectView(value as Record<string, unknown>, maxDepth);
    }
    default:
      return INVALID;
  }
}

function arrayView(items: unknown[], maxDepth: number): unknown {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) return INVALID;
    const view = sortedView(item, maxDepth - 1);
    if (view === INVALID || view === NOT_COPYABLE) return view;
    if (out === undefined && view !== item) out = items.slice(0, i);
    out?.push(view);
  }
  return out ?? items;
}

function objectView(record: Record<string, unknown>, maxDepth: number): unknown {
  const keys = Object.keys(record);
  let sorted = true;
  /** The members whose view differs from them, and their views (usually none, rarely many). */
  let changed: string[] | undefined;
  let views: unknown[] | undefined;
  let previous: string | undefined;
  for (const key of keys) {
    if (previous !== undefined && previous >= key) sorted = false;
    previous = key;
    const member = record[key];
    if (member === undefined) continue;
    const view = sortedView(member, maxDepth - 1);
    if (view === INVALID || view === NOT_COPYABLE) return view;
    if (view !== member) {
      (changed ??= []).push(key);
      (views ??= []).push(view);
    }
  }
  if (sorted) {
    if (changed === undefined) return record;
    // In order already: a spread keeps the order (array-index keys included) at a fraction of
    // the cost of inserting members one by one, and only the changed members are replaced.
    const copy: Record<string, unknown> = { ...record };
    for (let i = 0; i < changed.length; i++) copy[changed[i]!] = views![i];
    return copy;
  }
  sortKeys(keys);
  for (const key of keys) if (isArrayIndex(key)) return NOT_COPYABLE;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    const at = changed === undefined ? -1 : changed.indexOf(key);
    const value = at < 0 ? member : views![at];
    // An own `__proto__` member (JSON.parse makes them) is a member, not the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true });
    else out[key] = value;
  }
  return out;
}

/** The canonical UTF-8 bytes of a JSON value; throws {@link CanonicalEncodingError}. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** True when `value` nests no deeper than `maxDepth` levels of arrays and objects. */
export function withinDepth(value: unknown, maxDepth: number = MAX_DEPTH): boolean {
  return inspectJson(value, maxDepth) !== 'invalid';
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError('$', `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth > MAX_DEPTH) throw new CanonicalEncodingError('$', `nested deeper than ${MAX_DEPTH}`);
      return Array.isArray(value) ? encodeArray(value, depth) : encodeObject(value, depth);
    default:
      throw new CanonicalEncodingError('$', `a ${typeof value} is not a JSON value`);
  }
}

/** Re-throws an error from inside a member with the member's place prefixed to its path. */
function within(error: unknown, step: string): never {
  if (error instanceof CanonicalEncodingError) {
    throw new CanonicalEncodingError(`$${step}${error.path.slice(1)}`, error.reason);
  }
  throw error;
}

function encodeArray(items: readonly unknown[], depth: number): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) throw new CanonicalEncodingError(`$[${i}]`, 'undefined in an array');
    try {
      parts.push(encode(item, depth + 1));
    } catch (error) {
      within(error, `[${i}]`);
    }
  }
  return `[${parts.join(',')}]`;
}

function encodeObject(object: object, depth: number): string {
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null)
    throw new CanonicalEncodingError('$', 'not a plain object');
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    try {
      parts.push(`${JSON.stringify(key)}:${encode(member, depth + 1)}`);
    } catch (error) {
      within(error, `.${key}`);
    }
  }
  return `{${parts.join(',')}}`;
}
