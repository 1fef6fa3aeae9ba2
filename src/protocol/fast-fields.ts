/**
 * Hand-written twins of the field schemas in `fields.ts`, for the hot paths of sending and
 * receiving. The zod schemas stay the reference: each predicate here accepts a subset of what
 * its schema accepts (in practice exactly the same set, which `test/protocol/fast-path.test.ts`
 * checks on random and mutated input), and a value a predicate refuses goes to the schema,
 * which decides and explains. So a predicate may be stricter than its schema, never looser.
 */
import { z } from 'zod';
import { isAddress } from './address.js';
import { MAX_ADDRESS, MAX_ID, MAX_LIST, MAX_SHORT, MAX_TEXT } from './limits.js';
import { isNodeId } from './node-id.js';
import { isTaskKey } from './task-key.js';

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/;
/** The very pattern `z.iso.datetime({ offset: true })` tests. */
const TIMESTAMP = z.regexes.datetime({ offset: true, local: false, precision: null });

/** A plain object: what `JSON.parse` makes, and the only kind the fast paths take. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype;
}

/** True when every enumerable key of `record` is in `allowed`. */
export function hasOnlyKeys(record: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in record) if (!allowed.has(key)) return false;
  return true;
}

/** `ulidField`. */
export function isUlidText(value: unknown): value is string {
  return typeof value === 'string' && ULID.test(value);
}

/** `idField`. */
export function isIdText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID && ID.test(value);
}

/** `timestampField`. */
export function isTimestampText(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value);
}

/** `addressField`. */
export function isAddressText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ADDRESS && isAddress(value);
}

/** `nodeIdField`. */
export function isNodeIdText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && isNodeId(value);
}

/** `taskKeyField`. */
export function isTaskKeyText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 300 && isTaskKey(value);
}

/** `nameField`. */
export function isNameText(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_SHORT;
}

/** `textField`. */
export function isFreeText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT;
}

/** `z.int()` with bounds: a safe integer in `[min, max]`. */
export function isIntIn(value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** `countField`. */
export function isCount(value: unknown): value is number {
  return isIntIn(value, 0);
}

/** `listOf(item)`: a copy of the list when every item passes, otherwise `undefined`. */
export function listCopy<T>(value: unknown, item: (v: unknown) => v is T): T[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_LIST) return undefined;
  const out: T[] = [];
  for (const v of value as unknown[]) {
    if (!item(v)) return undefined;
    out.push(v);
  }
  return out;
}
