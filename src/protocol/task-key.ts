/**
 * Task keys: `<forge>:<owner>/<repo>#<number>` (`github:octo/app#42`, `local:demo/app#3`),
 * and their reversible encoding for NATS subject tokens and KV keys (SPEC §8).
 */
import { BzzzError } from '../lib/errors.js';
import { decodeToken, encodeToken } from './token.js';

/** The parts of a task key. */
export interface TaskRef {
  forge: string;
  owner: string;
  repo: string;
  number: number;
}

/** A task key string, `<forge>:<owner>/<repo>#<number>`. */
export type TaskKey = string;

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$/;
const FORGE = /^[a-z][a-z0-9-]{0,31}$/;
const KEY = /^([a-z][a-z0-9-]{0,31}):([^/#\s]+)\/([^/#\s]+)#([1-9][0-9]{0,15})$/;

/** A string that is not a task key or an encoded task key. */
export class InvalidTaskKeyError extends BzzzError {
  override readonly name = 'InvalidTaskKeyError';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid task key ${JSON.stringify(input.slice(0, 200))}: ${reason}`, { retryable: false });
  }
}

/** Formats a task key from its parts; throws {@link InvalidTaskKeyError} on a bad part. */
export function formatTaskKey(ref: TaskRef): TaskKey {
  if (!FORGE.test(ref.forge)) throw new InvalidTaskKeyError(ref.forge, 'bad forge name');
  if (!NAME.test(ref.owner) || !NAME.test(ref.repo)) {
    throw new InvalidTaskKeyError(`${ref.owner}/${ref.repo}`, 'bad owner or repository name');
  }
  if (!Number.isSafeInteger(ref.number) || ref.number < 1) {
    throw new InvalidTaskKeyError(String(ref.number), 'bad number');
  }
  return `${ref.forge}:${ref.owner}/${ref.repo}#${ref.number}`;
}

/** Parses a task key into its parts; throws {@link InvalidTaskKeyError} when it is not one. */
export function parseTaskKey(key: string): TaskRef {
  const m = KEY.exec(key);
  if (m === null) throw new InvalidTaskKeyError(key, 'expected <forge>:<owner>/<repo>#<number>');
  const [, forge, owner, repo, num] = m as unknown as [string, string, string, string, string];
  if (!NAME.test(owner) || !NAME.test(repo))
    throw new InvalidTaskKeyError(key, 'bad owner or repository name');
  const number = Number(num);
  if (!Number.isSafeInteger(number)) throw new InvalidTaskKeyError(key, 'number too large');
  return { forge, owner, repo, number };
}

/** {@link KEY} with owner and repository held to {@link NAME}: one test, no captures. */
const WHOLE_KEY =
  /^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}#[1-9][0-9]{0,15}$/;

/** True when `key` is a well-formed task key. */
export function isTaskKey(key: string): boolean {
  if (!WHOLE_KEY.test(key)) return false;
  // Up to 15 digits is always a safe integer; 16 may not be.
  const number = key.slice(key.lastIndexOf('#') + 1);
  return number.length < 16 || Number.isSafeInteger(Number(number));
}

/**
 * Encodes a task key into one token safe for NATS subjects and JetStream KV keys
 * (`[A-Za-z0-9_-]` only): every byte outside `[A-Za-z0-9-]` becomes `_XX` in hex, so
 * `local:demo/app#3` becomes `local_3Ademo_2Fapp_233`. Reversible with
 * {@link decodeTaskKeyToken}.
 */
export function encodeTaskKeyToken(key: TaskKey): string {
  return encodeToken(key);
}

/** The task key a token encodes; throws {@link InvalidTaskKeyError} for anything else. */
export function decodeTaskKeyToken(token: string): TaskKey {
  const key = decodeToken(token);
  if (key === undefined) throw new InvalidTaskKeyError(token, 'not an encoded task key');
  if (!isTaskKey(key)) throw new InvalidTaskKeyError(token, 'does not encode a task key');
  return key;
}
