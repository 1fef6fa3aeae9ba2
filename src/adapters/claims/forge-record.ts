/**
 * What one lease file of the forge claim store says, how it is named, and when it is live.
 *
 * A file holds JSON `{ v: 1, key, state, token, holder, ... }`: `held` with the grant's TTL and
 * expiry, or `released` once given up. A released record is kept, never deleted, so that the
 * key's next grant continues from its token: tokens strictly increase per key for as long as
 * the forge directory lives.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { BzzzError } from '../../lib/errors.js';
import { encodeClaimKey } from './jetstream-key.js';

const base = {
  v: z.literal(1),
  key: z.string().min(1),
  token: z.number().int().positive(),
  holder: z.string().min(1),
};

const recordSchema = z.discriminatedUnion('state', [
  z.object({
    ...base,
    state: z.literal('held'),
    ttlMs: z.number().positive(),
    /** On the clock of the process that wrote it, read under the lock before the write. */
    expiresAt: z.number(),
  }),
  z.object({ ...base, state: z.literal('released'), releasedAt: z.number() }),
]);

/** The JSON content of a lease file. */
export type ForgeLeaseRecord = z.infer<typeof recordSchema>;
/** A record of a grant not given up (it may have expired). */
export type HeldRecord = Extract<ForgeLeaseRecord, { state: 'held' }>;

/** Ends the name of every lease file; nothing else in the table directory ends so. */
export const LEASE_SUFFIX = '.lease.json';
/** Longer encoded keys are named by their hash: a file name has at most 255 bytes. */
const MAX_PLAIN_NAME = 180;

/**
 * The file name (without directory) of the lease on `key`: the reversible key encoding the
 * JetStream store uses (no `.` in it), or `_H<sha256>` for a long key; `_H` is never produced
 * by the encoding, so the two kinds of names cannot meet.
 */
export function leaseFileName(key: string): string {
  const encoded = encodeClaimKey(key);
  const stem =
    encoded.length <= MAX_PLAIN_NAME ? encoded : `_H${createHash('sha256').update(key).digest('hex')}`;
  return `${stem}${LEASE_SUFFIX}`;
}

/** A lease file that exists but cannot be a record of this store: an operator must repair it. */
export class ClaimRecordCorruptError extends BzzzError {
  override readonly name = 'ClaimRecordCorruptError';

  constructor(
    readonly file: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    // Retrying reads the same bytes. Deleting the file would restart the key's tokens at 1.
    super(`claim record ${file} is corrupt (${reason}); nothing was granted, repair it by hand`, {
      cause: options.cause,
      retryable: false,
    });
  }
}

/** The record in `text` (the content of `file`, for the key `key`), or the reason it is corrupt. */
export function parseRecord(file: string, key: string | undefined, text: string): ForgeLeaseRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ClaimRecordCorruptError(file, text.length === 0 ? 'empty' : 'not JSON', { cause: error });
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClaimRecordCorruptError(file, `${issue?.path.join('.') || 'record'}: ${issue?.message}`);
  }
  if (key !== undefined && parsed.data.key !== key) {
    throw new ClaimRecordCorruptError(file, `it names key ${JSON.stringify(parsed.data.key)}`);
  }
  if (leaseFileName(parsed.data.key) !== basename(file)) {
    throw new ClaimRecordCorruptError(file, 'its key does not match the file name');
  }
  return parsed.data;
}

/**
 * True while a reader (a would-be taker, `read`, `list`) must treat the record as a live
 * lease: its writer's expiry plus the stated maximum skew between two processes' clocks has
 * not passed on the reader's clock. Released records are never live.
 */
export function liveForReaders(record: ForgeLeaseRecord | null, now: number, skewMs: number): boolean {
  return record?.state === 'held' && now < record.expiresAt + skewMs;
}
