/**
 * A task's result tree: the regular files of its clone, each stored in the content store
 * (pinned, so the replicator copies it), and a manifest blob listing them (tree-manifest.ts),
 * pinned too, that references each file's blob. The walk reads the clone on the host once the
 * sandbox is gone (nothing in it can still move a file): `lstat` only, `.git` left out,
 * symbolic links and other special files listed as skipped and never followed, each file
 * opened with `O_NOFOLLOW` and checked to be the very file the walk saw. It stops at
 * `maxFiles` files, `maxBytes` bytes or `maxEntries` entries seen, and the manifest says so.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../../../adapters/cas/index.js';
import {
  canonicalBytes,
  MAX_TREE_SKIPPED,
  type TreeArtifact,
  type TreeManifest,
} from '../../../protocol/index.js';

export interface TreeLimits {
  /** Files listed at most (default 5,000). */
  maxFiles: number;
  /** Bytes of files stored at most (default 64 MiB). */
  maxBytes: number;
  /** Directory entries looked at at most (default 100,000). */
  maxEntries: number;
}

interface Walk {
  readonly root: string;
  readonly store: ContentStore;
  readonly limits: TreeLimits;
  readonly manifest: TreeManifest;
  readonly skipped: Record<string, string>;
  skips: number;
  files: number;
  bytes: number;
  entries: number;
  filesLeftOut: number;
  bytesLeftOut: number;
  entriesCut: boolean;
}

/** Walks `root` (the clone on the host), stores its files and their manifest, all pinned. */
export async function captureTree(
  root: string,
  store: ContentStore,
  limits: TreeLimits,
): Promise<TreeArtifact> {
  const walk: Walk = {
    root,
    store,
    limits,
    manifest: { v: 1, files: {} },
    skipped: {},
    skips: 0,
    files: 0,
    bytes: 0,
    entries: 0,
    filesLeftOut: 0,
    bytesLeftOut: 0,
    entriesCut: false,
  };
  await walkDir(walk, '');
  const capped = walk.filesLeftOut > 0 || walk.entriesCut;
  if (capped) {
    walk.manifest.capped = {
      note: walk.entriesCut
        ? `the walk stopped after ${limits.maxEntries} entries; files beyond them are not listed`
        : `files beyond ${limits.maxFiles} files or ${limits.maxBytes} bytes are not listed`,
      maxFiles: limits.maxFiles,
      maxBytes: limits.maxBytes,
      filesLeftOut: walk.filesLeftOut,
      bytesLeftOut: walk.bytesLeftOut,
    };
  }
  if (walk.skips > 0) walk.manifest.skipped = walk.skipped;
  const { hash } = await store.put(canonicalBytes(walk.manifest), { pin: true });
  for (const file of new Set(Object.values(walk.manifest.files).map((f) => f.hash)))
    await store.addRef(`blob:${hash}`, file);
  return { hash, files: walk.files, bytes: walk.bytes, capped };
}

async function walkDir(walk: Walk, dir: string): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(join(walk.root, dir))).sort();
  } catch (error) {
    skip(walk, dir === '' ? '.' : dir, `unreadable directory (${codeOf(error)})`);
    return;
  }
  for (const name of names) {
    if (name === '.git') continue;
    if (++walk.entries > walk.limits.maxEntries) {
      walk.entriesCut = true;
      return;
    }
    const path = dir === '' ? name : `${dir}/${name}`;
    let stats;
    try {
      stats = await lstat(join(walk.root, path));
    } catch (error) {
      skip(walk, path, `unreadable (${codeOf(error)})`);
      continue;
    }
    if (stats.isDirectory()) await walkDir(walk, path);
    else if (stats.isFile()) await addFile(walk, path, stats);
    else skip(walk, path, stats.isSymbolicLink() ? 'symbolic link (not followed)' : 'not a regular file');
    if (walk.entriesCut) return;
  }
}

async function addFile(
  walk: Walk,
  path: string,
  seen: { size: number; ino: number; dev: number },
): Promise<void> {
  if (walk.files >= walk.limits.maxFiles || walk.bytes + seen.size > walk.limits.maxBytes) {
    walk.filesLeftOut++;
    walk.bytesLeftOut += seen.size;
    return;
  }
  let handle;
  try {
    handle = await open(
      join(walk.root, path),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (error) {
    skip(walk, path, `unreadable (${codeOf(error)})`);
    return;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.ino !== seen.ino || stats.dev !== seen.dev || stats.size !== seen.size) {
      skip(walk, path, 'changed while it was read');
      return;
    }
    const bytes = await handle.readFile();
    if (bytes.length !== stats.size) {
      skip(walk, path, 'changed while it was read');
      return;
    }
    const { hash } = await walk.store.put(bytes, { pin: true });
    walk.manifest.files[path] = { hash, size: bytes.length, mode: stats.mode & 0o7777 };
    walk.files++;
    walk.bytes += bytes.length;
  } finally {
    await handle.close();
  }
}

function skip(walk: Walk, path: string, why: string): void {
  if (walk.skips >= MAX_TREE_SKIPPED) return;
  walk.skipped[path] = why;
  walk.skips++;
}

function codeOf(error: unknown): string {
  return (error as { code?: unknown }).code?.toString() ?? 'error';
}
