/**
 * Checking a message's `data` against its type, with hand-written fast paths for the types
 * sent most often (mailbox traffic, heartbeats, progress). A fast path returns what the type's
 * zod schema would return (the known members only, in the schema's order, lists copied) or
 * {@link SLOW} when it cannot vouch for the value; then the schema decides and, on failure,
 * explains. The schemas in `messages/` stay the reference, and
 * `test/protocol/fast-path.test.ts` holds the two in agreement.
 */
import type { z } from 'zod';
import { isJsonPayload, TASK_STATES } from './fields.js';
import {
  ALPHA,
  allIn,
  charClass,
  isAddressText,
  isCount,
  isFreeText,
  isIdText,
  isIntIn,
  isNameText,
  isNodeIdText,
  isPlainRecord,
  isTaskKeyText,
  listCopy,
} from './fast-fields.js';
import {
  BATCHABLE_TYPES,
  MAX_BATCH,
  messageSchemas,
  type MessageData,
  type MessageType,
} from './messages/index.js';

/** What a fast path returns when the schema has to decide. */
export const SLOW = Symbol('slow path');

type FastParser = (data: unknown) => unknown;

/** The rest of an actor message type, `[A-Za-z0-9._:/-]`. */
const ACTOR_TYPE_CHAR = charClass('A-Z', 'a-z', '0-9', '.', '_', ':', '/', '-');

/** The actor message type {@link isActorType} last found valid: one type often comes in runs. */
let lastActorType: string | undefined;

/** `/^[A-Za-z][A-Za-z0-9._:/-]{0,127}$/`, the type of an actor message. */
function isActorType(value: unknown): value is string {
  if (value === lastActorType && value !== undefined) return true;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) return false;
  const first = value.charCodeAt(0);
  if (first >= 128 || ALPHA[first] !== 1 || !allIn(value, ACTOR_TYPE_CHAR, 1)) return false;
  lastActorType = value;
  return true;
}
const TASK_STATE_SET: ReadonlySet<unknown> = new Set(TASK_STATES);
const AVAILABILITY_STATUS: ReadonlySet<unknown> = new Set(['ready', 'busy', 'draining']);

/** An optional member: absent is fine, `undefined` or an invalid value goes to the schema. */
function optional(record: Record<string, unknown>, key: string, check: (v: unknown) => boolean): boolean {
  return !(key in record) || check(record[key]);
}

function actorMessage(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const { corr, from, payload, replyTo, to, type } = data;
  if (!optional(data, 'corr', isIdText) || !optional(data, 'replyTo', isAddressText)) return SLOW;
  if (!optional(data, 'from', isAddressText)) return SLOW;
  if (payload === undefined || !isJsonPayload(payload) || !isAddressText(to)) return SLOW;
  if (!isActorType(type)) return SLOW;
  if (from !== undefined) {
    // Members in the schema's order, as zod writes them.
    const out: Record<string, unknown> = {};
    if (corr !== undefined) out.corr = corr;
    out.from = from;
    out.payload = payload;
    if (replyTo !== undefined) out.replyTo = replyTo;
    out.to = to;
    out.type = type;
    return out;
  }
  // Written out per case rather than with spreads, which cost a clone per message.
  if (corr === undefined)
    return replyTo === undefined ? { payload, to, type } : { payload, replyTo, to, type };
  return replyTo === undefined ? { corr, payload, to, type } : { corr, payload, replyTo, to, type };
}

function topicMessage(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const { payload, type } = data;
  if (payload === undefined || !isJsonPayload(payload) || !isActorType(type)) return SLOW;
  return { payload, type };
}

function actorReply(data: unknown): unknown {
  if (!isPlainRecord(data) || !isIdText(data.corr)) return SLOW;
  if (data.ok === true) {
    const { payload } = data;
    return payload === undefined || !isJsonPayload(payload) ? SLOW : { corr: data.corr, ok: true, payload };
  }
  if (data.ok !== false || !isPlainRecord(data.error)) return SLOW;
  const { message, name, retryable } = data.error;
  if (!isFreeText(message) || !isNameText(name) || typeof retryable !== 'boolean') return SLOW;
  return { corr: data.corr, error: { message, name, retryable }, ok: false };
}

function availabilityBroadcast(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const { load, maxTasks, node, status } = data;
  if (!isCount(load) || !isCount(maxTasks) || !isNodeIdText(node) || !AVAILABILITY_STATUS.has(status))
    return SLOW;
  const tasks = listCopy(data.tasks, isTaskKeyText);
  return tasks === undefined ? SLOW : { load, maxTasks, node, status, tasks };
}

/** The optional members of `task_progress`, in the schema's order, with their checks. */
const PROGRESS_OPTIONAL: readonly [string, (v: unknown) => boolean][] = [
  ['agent', isNameText],
  ['branch', isNameText],
  ['command', isFreeText],
  ['exitCode', (v) => isIntIn(v, Number.MIN_SAFE_INTEGER)],
  ['maxSteps', isCount],
  ['message', isFreeText],
  ['node', () => true],
  // a URL up to a name's length; a longer one goes to the schema
  ['pullRequest', isNameText],
  ['reason', isFreeText],
  ['state', () => true],
  ['step', isCount],
  ['task', () => true],
  ['token', isCount],
];

function taskProgress(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const { node, state, task } = data;
  if (!isNodeIdText(node) || !TASK_STATE_SET.has(state) || !isTaskKeyText(task)) return SLOW;
  // Members in the schema's order, as zod writes them; an optional one is absent or valid here.
  const out: Record<string, unknown> = {};
  for (const [key, check] of PROGRESS_OPTIONAL) {
    if (!(key in data)) continue;
    const value = data[key];
    if (!check(value)) return SLOW;
    out[key] = value;
  }
  return out;
}

function electionHeartbeat(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const { node, revision, term, ttlMs } = data;
  if (!isNodeIdText(node) || !isCount(revision) || !isCount(term) || !isIntIn(ttlMs, 1)) return SLOW;
  return { node, revision, term, ttlMs };
}

const BATCHABLE: ReadonlySet<string> = new Set(BATCHABLE_TYPES);

/** Each message checked as it would be alone; the schema explains any failure. */
function messageBatch(data: unknown): unknown {
  if (!isPlainRecord(data)) return SLOW;
  const list = data.messages;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_BATCH) return SLOW;
  const messages: unknown[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (!isPlainRecord(entry)) return SLOW;
    const type = entry.type;
    if (typeof type !== 'string' || !BATCHABLE.has(type)) return SLOW;
    const checked = parseMessageData(type as MessageType, entry.data);
    if (!checked.success) return SLOW;
    messages[i] = { data: checked.data, type };
  }
  return { messages };
}

const FAST: Partial<Record<MessageType, FastParser>> = {
  actor_message: actorMessage,
  actor_reply: actorReply,
  topic_message: topicMessage,
  availability_broadcast: availabilityBroadcast,
  task_progress: taskProgress,
  election_heartbeat: electionHeartbeat,
  message_batch: messageBatch,
};

/** The outcome of {@link parseMessageData}, shaped like zod's `safeParse`. */
export type DataResult<T extends MessageType> =
  { success: true; data: MessageData<T> } | { success: false; error: z.ZodError };

/**
 * {@link FAST} as a map: a type received is a fresh string, and a map finds it by its hash,
 * where a property lookup first looks it up among all the interned strings of the process.
 */
const FAST_BY_TYPE: ReadonlyMap<string, FastParser> = new Map(Object.entries(FAST));

/** The fast path alone: the parsed data, or {@link SLOW}. For tests and benchmarks. */
export function fastMessageData(type: MessageType, data: unknown): unknown {
  const fast = FAST_BY_TYPE.get(type);
  return fast === undefined ? SLOW : fast(data);
}

/**
 * `messageSchemas[type].safeParse(data)`, answered by a fast path where one vouches for the
 * value (every valid message of the common types), by the schema otherwise.
 */
export function parseMessageData<T extends MessageType>(type: T, data: unknown): DataResult<T> {
  const fast = FAST_BY_TYPE.get(type)?.(data) ?? SLOW;
  if (fast !== SLOW) return { success: true, data: fast as MessageData<T> };
  return messageSchemas[type].safeParse(data) as DataResult<T>;
}

/** The types with a fast path. */
export const FAST_TYPES = Object.keys(FAST) as readonly MessageType[];
