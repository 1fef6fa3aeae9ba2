/**
 * Where the audit log keeps its files under `<data_dir>/audit/`, and the one way it replaces
 * one: a temp file written and fsynced, renamed over the old, and the directory fsynced, so a
 * kill -9 or a power cut leaves the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The paths of one data dir's audit log. */
export interface AuditPaths {
  dir: string;
  /** Every entry blob, in chain order, each framed by its length. */
  journal: string;
  /** The signed head and the journal length it covers. */
  head: string;
  /** The last entry copied into the content store (every one before it is there too). */
  published: string;
  /** Heads of other nodes this node witnessed, heads of this node others witnessed, forks. */
  witnesses: string;
  /** The pid of the process appending. */
  owner: string;
}

export function auditPaths(dataDir: string): AuditPaths {
  const dir = join(dataDir, 'audit');
  return {
    dir,
    journal: join(dir, 'journal'),
    head: join(dir, 'head.json'),
    published: join(dir, 'published.json'),
    witnesses: join(dir, 'witnesses.json'),
    owner: join(dir, 'owner'),
  };
}

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** fsyncs a directory, so a rename or a new file in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's bytes, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
