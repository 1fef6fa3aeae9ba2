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

/**
 * Character classes as tables by character code (ASCII only; anything above is outside every
 * class here): the hot checks loop over a string instead of running a regex, which costs more
 * on a path that alternates with signature checks (each cold regex run is an engine entry).
 */
export function charClass(...ranges: string[]): Uint8Array {
  const table = new Uint8Array(128);
  for (const range of ranges) {
    const from = range.charCodeAt(0);
    const to = range.length === 3 ? range.charCodeAt(2) : from;
    for (let c = from; c <= to; c++) table[c] = 1;
  }
  return table;
}

/** True when every character of `text` in `[start, end)` is in `table`. */
export function allIn(text: string, table: Uint8Array, start = 0, end = text.length): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

/** `[A-Za-z]`. */
export const ALPHA = charClass('A-Z', 'a-z');
/** `[A-Za-z0-9]`. */
export const ALNUM = charClass('A-Z', 'a-z', '0-9');
/** The 32 digits of Crockford's base32, `[0-9A-HJKMNP-TV-Z]`. */
const CROCKFORD = charClass('0-9', 'A-H', 'J', 'K', 'M', 'N', 'P-T', 'V-Z');
/** `[A-Za-z0-9._:@/+=-]`. */
const ID_CHAR = charClass('A-Z', 'a-z', '0-9', '.', '_', ':', '@', '/', '+', '=', '-');
/** `[A-Za-z0-9+/]`. */
const BASE64_CHAR = charClass('A-Z', 'a-z', '0-9', '+', '/');
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

/** `ulidField`: `/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/`. */
export function isUlidText(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 26) return false;
  const first = value.charCodeAt(0);
  return first >= 0x30 && first <= 0x37 && allIn(value, CROCKFORD, 1);
}

/** `idField`: `/^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/`, at most {@link MAX_ID} characters. */
export function isIdText(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) return false;
  const first = value.charCodeAt(0);
  return first < 128 && ALNUM[first] === 1 && allIn(value, ID_CHAR, 1);
}

/** `timestampField`. */
export function isTimestampText(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value);
}

/** `addressField`. */
export function isAddressText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ADDRESS && isAddress(value);
}

/**
 * The envelope's `sig` rule, `/^(?:[A-Za-z0-9+/]{85}[AQgw]==)?$/`: empty, or the canonical base64
 * of 64 bytes (the last character before the padding carries 2 zero bits). A loop over a table
 * instead of the regex, which costs a microsecond per message on the receive path.
 */
export function isSignatureText(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value.length === 0) return true;
  if (value.length !== 88 || value.charCodeAt(86) !== 0x3d || value.charCodeAt(87) !== 0x3d) return false;
  const last = value.charCodeAt(85);
  // 'A', 'Q', 'g', 'w': base64 digits 0, 16, 32, 48.
  if (last !== 0x41 && last !== 0x51 && last !== 0x67 && last !== 0x77) return false;
  return allIn(value, BASE64_CHAR, 0, 85);
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
