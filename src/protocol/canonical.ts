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
 * writes it, so one read-only walk decides and the native encoder does the rest. Otherwise a
 * copy with sorted keys is stringified; only objects with array-index keys (`"10"`, which V8
 * always enumerates first) take the hand-written encoder.
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
  const shape = inspectJson(value);
  if (shape === 'sorted') return JSON.stringify(value);
  if (shape === 'unsorted') {
    const copy = sortedCopy(value);
    if (copy !== NOT_COPYABLE) return JSON.stringify(copy);
  }
  return encode(value, 1);
}

const NOT_COPYABLE = Symbol('not copyable');
/** Keys that V8 enumerates first, in numeric order, whatever the insertion order. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * A copy of a valid JSON value with every object's keys inserted in sorted order, which
 * `JSON.stringify` then writes canonically; {@link NOT_COPYABLE} when an object has an
 * array-index key, whose enumeration order insertion cannot control.
 */
function sortedCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value as unknown[]) {
      const copied = sortedCopy(item);
      if (copied === NOT_COPYABLE) return NOT_COPYABLE;
      items.push(copied);
    }
    return items;
  }
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    if (ARRAY_INDEX.test(key)) return NOT_COPYABLE;
    const copied = sortedCopy(record[key]);
    if (copied === NOT_COPYABLE) return NOT_COPYABLE;
    out[key] = copied;
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
