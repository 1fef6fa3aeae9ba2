/**
 * What both transfers put on the wire besides the bytes: a request names a blob (and on NATS
 * a chunk of it); an answer's header says its size or why there is none. Both are small JSON
 * documents parsed with a schema before anything trusts them.
 */
import { z } from 'zod';
import { isBlobHash } from '../cas/index.js';

const hashField = z.string().refine(isBlobHash, 'expected a BLAKE3-256 hex digest');

/** A request for a blob (libp2p) or for chunk `chunk` of it (NATS). */
export const blobRequestSchema = z.object({
  hash: hashField,
  chunk: z.int().min(0).max(1_000_000).optional(),
});
export type BlobRequest = z.infer<typeof blobRequestSchema>;

/** An answer's header: the blob's size (and on NATS the number of chunks), or an error. */
export const blobHeaderSchema = z.union([
  z.object({ size: z.int().min(0), chunks: z.int().min(1).optional() }),
  z.object({ error: z.enum(['not_found', 'bad_request', 'failed']) }),
]);
export type BlobHeader = z.infer<typeof blobHeaderSchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses bytes as JSON then with `schema`; undefined for anything else. */
export function decodeJson<T>(schema: z.ZodType<T>, bytes: Uint8Array): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(decoder.decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The answer for a hash this node cannot serve: missing, or corrupt here. */
export function errorOf(error: unknown): 'not_found' | 'failed' {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'BlobNotFoundError' ? 'not_found' : 'failed';
}
