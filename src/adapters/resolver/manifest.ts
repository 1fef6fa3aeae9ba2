/**
 * A task's result tree manifest ({@link TreeManifest}, the blob a `tree` record names) as the
 * resolver reads it: bytes from another node are parsed before they are trusted, and a bad
 * manifest is named, not thrown through.
 */
import { z } from 'zod';
import type { TreeManifest } from '../names/index.js';

const entrySchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  mode: z.number().int().min(0),
});

const manifestSchema = z.object({
  v: z.literal(1),
  files: z.record(z.string().min(1).max(4096), entrySchema),
});

/** A manifest blob whose bytes are not a manifest. */
export class BadManifestError extends Error {
  override readonly name = 'BadManifestError';
  constructor(
    readonly hash: string,
    reason: string,
  ) {
    super(`result tree manifest ${hash} is not valid: ${reason}`);
  }
}

export function parseTreeManifest(hash: string, bytes: Uint8Array): TreeManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new BadManifestError(hash, 'not JSON');
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success)
    throw new BadManifestError(hash, result.error.issues[0]?.message ?? 'unexpected shape');
  return result.data;
}

/** The entry of `path` (`src/a.ts`), if the tree has that file. */
export function fileOf(manifest: TreeManifest, path: string): TreeManifest['files'][string] | undefined {
  return Object.hasOwn(manifest.files, path) ? manifest.files[path] : undefined;
}
