/**
 * What one KV entry of the claims bucket says, and the two clocks that judge it.
 *
 * The value is JSON `{ v: 1, holder, ttlMs, expiresAt, token? }`. A grant write (first claim,
 * takeover, re-claim after release) carries no token: its own revision is the token. A renewal
 * carries the grant's token, so the token stays fixed while the revision moves on.
 *
 * Readers judge liveness by the server's timestamp of the entry plus its TTL plus the stated
 * maximum clock skew; holders judge their own lease by the `expiresAt` they computed on their
 * own clock before the write was sent (see jetstream.ts for why that is safe).
 */
import { z } from 'zod';

const recordSchema = z.object({
  v: z.literal(1),
  holder: z.string().min(1),
  ttlMs: z.number().positive(),
  expiresAt: z.number(),
  token: z.number().int().positive().optional(),
});

/** The JSON value of a lease entry. */
export type LeaseRecord = z.infer<typeof recordSchema>;

/** One KV entry of the claims bucket, as the store reads it. */
export interface StoredLease {
  /** The claim key (decoded). */
  readonly key: string;
  /** The entry's revision: what a compare-and-set must name. */
  readonly revision: number;
  /** The server's timestamp of the write, ms since the epoch. */
  readonly createdAt: number;
  /** A delete marker (released) or a value that is not a lease record. */
  readonly record: LeaseRecord | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRecord(record: LeaseRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

/** The record in `bytes`, or null for anything that is not one (a foreign or corrupt value). */
export function decodeRecord(bytes: Uint8Array): LeaseRecord | null {
  if (bytes.length === 0) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(decoder.decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The fencing token of the grant an entry belongs to. */
export function tokenOf(entry: StoredLease): number {
  return entry.record?.token ?? entry.revision;
}

/**
 * True while a reader must treat the entry as a live lease: the server's write time plus the
 * TTL plus `skewMs` has not passed on the reader's clock. Released and foreign entries are
 * never live.
 */
export function liveForReaders(entry: StoredLease | null, now: number, skewMs: number): boolean {
  if (entry?.record == null) return false;
  return now < entry.createdAt + entry.record.ttlMs + skewMs;
}
