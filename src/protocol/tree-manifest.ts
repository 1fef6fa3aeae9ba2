/**
 * A task's result tree (issue 16): the blob a task's `tree` name points at, the canonical JSON
 * of a {@link TreeManifest}. It lists the clone's regular files (`.git` left out, symbolic
 * links never followed) by their path relative to the clone's root, `/`-separated, each with
 * the hash of its own blob, its size and its permission bits. A tree larger than the node
 * keeps is cut: `capped` says what the limits were and how much was left out, and `skipped`
 * names entries that are no regular files or could not be read (at most
 * {@link MAX_TREE_SKIPPED} of them).
 */
import { z } from 'zod';

/** Entries listed at most in `skipped`. */
export const MAX_TREE_SKIPPED = 1000;

export const treeManifestSchema = z.strictObject({
  v: z.literal(1),
  files: z.record(
    z.string().min(1).max(4096),
    z.strictObject({
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      size: z.int().min(0),
      mode: z.int().min(0).max(0o7777),
    }),
  ),
  capped: z
    .strictObject({
      note: z.string(),
      maxFiles: z.int().min(0),
      maxBytes: z.int().min(0),
      filesLeftOut: z.int().min(0),
      bytesLeftOut: z.int().min(0),
    })
    .optional(),
  skipped: z.record(z.string(), z.string()).optional(),
});

/** The result tree's manifest (the blob the `tree` record names): file path → blob. */
export type TreeManifest = z.infer<typeof treeManifestSchema>;
