/**
 * The usage store's errors. None carries a library's error object as its cause: a driver may
 * keep the connection string (with its password) on an error, so only the cause's name, code
 * and message, with every secret scrubbed, are kept.
 */
import { BzzzError } from '../../lib/errors.js';
import { scrubSecrets } from '../../lib/redact.js';

/** A driver's error reduced to what is safe to print. */
export interface SafeCause {
  name: string;
  code?: string;
  message: string;
}

/** The name, code and message of `error` with each of `secrets` replaced by `***`. */
export function safeCause(error: unknown, secrets: readonly string[]): SafeCause {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    message: scrubSecrets(message, secrets),
  };
}

export class UsageStoreError extends BzzzError {
  override readonly name: string = 'UsageStoreError';
  constructor(
    message: string,
    /** The store's target, password removed. */
    readonly target: string,
    readonly detail?: SafeCause,
    retryable = true,
  ) {
    super(`usage store ${target}: ${message}${detail ? `: ${detail.message}` : ''}`, { retryable });
  }
}

/** The database cannot be reached (down, refusing, timed out): another attempt may work. */
export class UsageStoreUnavailableError extends UsageStoreError {
  override readonly name = 'UsageStoreUnavailableError';
  constructor(target: string, detail: SafeCause) {
    super('database unreachable', target, detail, true);
  }
}

/** The schema could not be brought to this node's version. */
export class UsageSchemaError extends UsageStoreError {
  override readonly name = 'UsageSchemaError';
  constructor(target: string, detail: SafeCause) {
    super('schema migration failed', target, detail, true);
  }
}

/** The store was used before `start` or after `stop`. */
export class UsageStoreClosedError extends UsageStoreError {
  override readonly name = 'UsageStoreClosedError';
  constructor(target: string) {
    super('not open', target, undefined, false);
  }
}

/** A record or a query that does not fit the schema: retrying cannot help. */
export class InvalidUsageRecordError extends BzzzError {
  override readonly name = 'InvalidUsageRecordError';
  constructor(
    readonly what: 'usage record' | 'task outcome' | 'history query',
    readonly issue: string,
  ) {
    super(`invalid ${what}: ${issue}`, { retryable: false });
  }
}

/** PostgreSQL SQLSTATE classes and socket errors that mean "the server is not there now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * True when the database refused the data itself (PostgreSQL's data exceptions and constraint
 * violations, SQLite's constraint, mismatch and too-big): writing it again cannot help.
 */
export function isRefusedData(error: unknown, cause: SafeCause): boolean {
  if (cause.code !== undefined && /^2[23]/.test(cause.code)) return true;
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === 'number' && [18, 19, 20].includes(errcode & 0xff);
}

/** True when `cause` says the database is unreachable rather than that the query is wrong. */
export function isUnavailable(cause: SafeCause): boolean {
  if (cause.code !== undefined && (UNAVAILABLE_CODES.has(cause.code) || cause.code.startsWith('08')))
    return true;
  return /connection terminated|timeout|timed out|not queryable|ended/i.test(cause.message);
}
