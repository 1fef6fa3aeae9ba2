/**
 * Field schemas shared by the message types: task keys, node ids, addresses, bounded text and
 * lists, and a bounded JSON value for free-form payloads. Each carries its limit from
 * `limits.ts`, so a message type is a list of named fields and nothing more.
 */
import { z } from 'zod';
import { isAddress } from './address.js';
import {
  MAX_ADDRESS,
  MAX_BODY,
  MAX_DEPTH,
  MAX_ID,
  MAX_LIST,
  MAX_PAYLOAD_DEPTH,
  MAX_SHORT,
  MAX_TEXT,
} from './limits.js';
import { isNodeId } from './node-id.js';
import { isTaskKey } from './task-key.js';

/** A task key, `<forge>:<owner>/<repo>#<number>`. */
export const taskKeyField = z.string().max(300).refine(isTaskKey, 'not a task key');

/** A node id (`12D3KooW…`). */
export const nodeIdField = z.string().max(64).refine(isNodeId, 'not a node id');

/** A repository, `owner/name`. */
export const repositoryField = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected owner/name');

/** A `bzzz://` actor address. */
export const addressField = z.string().max(MAX_ADDRESS).refine(isAddress, 'not a bzzz:// actor address');

/** A ULID (message ids). */
export const ulidField = z.string().regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/, 'not a ULID');

/** An opaque identifier: correlation ids, session ids, thread ids. */
export const idField = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/, 'not an identifier')
  .max(MAX_ID);

/** An RFC 3339 date-time with an offset (`Z` or `+hh:mm`). */
export const timestampField = z.iso.datetime({ offset: true });

/** A short non-empty string: a name, a label, a model. */
export const nameField = z.string().min(1).max(MAX_SHORT);

/** A free-text field. */
export const textField = z.string().max(MAX_TEXT);

/** A long free-text field (a task body). */
export const bodyField = z.string().max(MAX_BODY);

/** A URL or forge reference (a pull request, an issue page). */
export const urlField = z.string().min(1).max(2048);

/** A non-negative safe integer. */
export const countField = z.int().min(0);

/** A list of at most {@link MAX_LIST} items. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.array(item).max(MAX_LIST);
}

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** True when `value` is a JSON value nested at most `depth` levels deep (plain objects only). */
export function isJsonValue(value: unknown, depth: number = MAX_DEPTH): value is JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth < 1) return false;
      // Plain loops: this runs on every payload sent and received.
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          // A hole is skipped, as `every` skips it.
          if (item === undefined && !(i in value)) continue;
          if (!isJsonValue(item, depth - 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        const member = record[key];
        if (member !== undefined && !isJsonValue(member, depth - 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** True when `value` is a JSON value fit to be a payload: at most {@link MAX_PAYLOAD_DEPTH} deep. */
export function isJsonPayload(value: unknown): value is JsonValue {
  return isJsonValue(value, MAX_PAYLOAD_DEPTH);
}

/**
 * A free-form JSON payload, at most {@link MAX_PAYLOAD_DEPTH} levels deep (and bounded by the
 * envelope's size limit).
 */
export const jsonField = z.custom<JsonValue>((value) => isJsonPayload(value), 'not a JSON value');

/** The lifecycle states of a task (SPEC §8). */
export const TASK_STATES = [
  'discovered',
  'claiming',
  'claimed',
  'preparing',
  'working',
  'publishing',
  'reporting',
  'done',
  'escalated',
  'failed',
  'lost',
] as const;

/** A task lifecycle state. */
export type TaskState = (typeof TASK_STATES)[number];

/** The states a task ends in: the last four of {@link TASK_STATES}. */
export const TASK_OUTCOMES = ['done', 'escalated', 'failed', 'lost'] as const satisfies readonly TaskState[];

/** A final task state. */
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/** A task lifecycle state field. */
export const taskStateField = z.enum(TASK_STATES);
