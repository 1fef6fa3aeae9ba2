/**
 * Work dirs on the host: created per sandbox, owned by the uid the sandbox runs as, emptied
 * on reset, removed on destroy. Copies in and out stay inside the work dir: a path with `..`
 * or a symlink pointing out is refused, and symlinks are copied as links, never followed, so
 * a sandbox cannot make the host read a file for it.
 */
import { execFile } from 'node:child_process';
import { cp, lchown, lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeError } from '../../lib/errors.js';
import { SandboxOperationError, SandboxPathError } from './errors.js';
import { SANDBOX_UID, SANDBOX_WORK_DIR } from './spec.js';

/** The host uid and gid sandboxed commands run as: 1000 when bzzz is root, else bzzz's own. */
export function sandboxOwner(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? SANDBOX_UID;
  const gid = process.getgid?.() ?? SANDBOX_UID;
  return uid === 0 ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : { uid, gid };
}

const isRoot = (): boolean => process.getuid?.() === 0;

export interface WorkDir {
  path: string;
  /** Created by us, so removed on destroy. */
  owned: boolean;
  /** A per-sandbox scratch dir beside the work dir (bwrap's /tmp), when owned. */
  scratch: string;
}

/** Creates (or adopts) the work dir of sandbox `id` under `base`. */
export async function prepareWorkDir(base: string, id: string, given: string | undefined): Promise<WorkDir> {
  const home = join(base, id);
  await mkdir(home, { recursive: true, mode: 0o755 });
  try {
    const scratch = join(home, 'tmp');
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    const path = given ?? join(home, 'work');
    await mkdir(path, { recursive: true, mode: 0o755 });
    const { uid, gid } = sandboxOwner();
    if (isRoot()) {
      await lchown(scratch, uid, gid);
      // a given work dir (a clone) is handed over whole: the sandbox user must be able to write it
      if (given === undefined) await lchown(path, uid, gid);
      else await chownRecursive(path, uid, gid);
    }
    return { path, owned: given === undefined, scratch };
  } catch (error) {
    // a half-made sandbox leaves nothing (its given work dir may have vanished meanwhile)
    await rm(home, { recursive: true, force: true });
    throw error;
  }
}

/** Removes the sandbox's host directories (the work dir only when we created it). */
export async function removeWorkDir(base: string, id: string, workDir: WorkDir): Promise<void> {
  if (!workDir.owned) await rm(workDir.scratch, { recursive: true, force: true });
  await rm(join(base, id), { recursive: true, force: true });
}

/** Deletes everything inside `dir`, keeping `dir`. */
export async function emptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => []);
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
}

/**
 * The host path for a path inside the sandbox (`/work/x` or `x`), refused when it would
 * leave the work dir, lexically or through a symlink.
 */
export async function hostPathInside(workDir: string, inner: string): Promise<string> {
  if (typeof inner !== 'string' || inner.includes('\0')) throw new SandboxPathError(inner, 'not a path');
  let rel = inner;
  if (isAbsolute(inner)) {
    if (inner !== SANDBOX_WORK_DIR && !inner.startsWith(`${SANDBOX_WORK_DIR}/`)) {
      throw new SandboxPathError(inner, `absolute paths must be under ${SANDBOX_WORK_DIR}`);
    }
    rel = inner.slice(SANDBOX_WORK_DIR.length).replace(/^\/+/, '');
  }
  const root = await realpath(workDir);
  const target = resolve(root, rel);
  if (!within(root, target)) throw new SandboxPathError(inner, 'leaves the work dir');
  // The target (when it exists) and every existing ancestor must resolve inside the work dir:
  // a symlinked directory could point out.
  let probe = target;
  for (;;) {
    const real = await realpath(probe).catch(() => undefined);
    if (real !== undefined) {
      if (!within(root, real)) throw new SandboxPathError(inner, 'a symlink on the path leaves the work dir');
      break;
    }
    probe = dirname(probe);
  }
  return target;
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Copies a host file or tree into the work dir and gives it to the sandbox user. */
export async function copyIntoWorkDir(
  id: string,
  workDir: string,
  hostPath: string,
  to: string,
): Promise<void> {
  const dest = await hostPathInside(workDir, to);
  try {
    const srcIsDir = (await lstat(hostPath)).isDirectory();
    await cp(hostPath, dest, {
      recursive: srcIsDir,
      verbatimSymlinks: true,
      force: true,
      errorOnExist: false,
    });
    if (isRoot()) await chownTree(dest, sandboxOwner());
  } catch (error) {
    throw new SandboxOperationError('copyIn', id, describeError(error), { cause: error, retryable: false });
  }
}

/** Copies a file or tree of the work dir out to the host; symlinks are copied as links. */
export async function copyOutOfWorkDir(
  id: string,
  workDir: string,
  from: string,
  hostPath: string,
): Promise<void> {
  const src = await hostPathInside(workDir, from);
  try {
    const info = await lstat(src);
    await cp(src, hostPath, {
      recursive: info.isDirectory(),
      verbatimSymlinks: true,
      dereference: false,
      force: true,
      errorOnExist: false,
    });
  } catch (error) {
    throw new SandboxOperationError('copyOut', id, describeError(error), { cause: error, retryable: false });
  }
}

async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  await lchown(path, owner.uid, owner.gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), owner);
}

/**
 * Copies in flight into or out of a work dir. Destroying a sandbox waits for them first, so a
 * copy cut short by a destroy cannot recreate the work dir after it was removed.
 */
export class CopyTracker {
  readonly #inFlight = new Set<Promise<unknown>>();

  track<T>(copy: Promise<T>): Promise<T> {
    this.#inFlight.add(copy);
    const forget = (): void => {
      this.#inFlight.delete(copy);
    };
    copy.then(forget, forget);
    return copy;
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }
}

/** Trees up to this many entries are handed over in process; larger ones by `chown -R`. */
const IN_PROCESS_CHOWN_LIMIT = 2_000;

/**
 * `chown -R` without following symlinks: a small tree (a typical clone) in process, which
 * spares a process start, a large one by the `chown` command, which is faster per entry.
 */
async function chownRecursive(path: string, uid: number, gid: number): Promise<void> {
  const entries = await listTree(path, IN_PROCESS_CHOWN_LIMIT).catch(() => undefined);
  if (entries === undefined) return chownCommand(path, uid, gid);
  try {
    for (let i = 0; i < entries.length; i += 64) {
      await Promise.all(entries.slice(i, i + 64).map((entry) => lchown(entry, uid, gid)));
    }
  } catch (error) {
    throw new SandboxOperationError(
      'create',
      path,
      `cannot hand the work dir to the sandbox user: ${describeError(error)}`,
      { cause: error, retryable: false },
    );
  }
}

/** Every path in the tree at `root` (itself included), never through a symlink; `undefined` past `limit`. */
async function listTree(root: string, limit: number): Promise<string[] | undefined> {
  const out = [root];
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out.push(path);
      if (out.length > limit) return undefined;
      // a Dirent of a symlink is never a directory: links are changed, not followed
      if (entry.isDirectory()) dirs.push(path);
    }
  }
  return out;
}

/** `chown -R -h` as one process. */
function chownCommand(path: string, uid: number, gid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('chown', ['-R', '-h', `${uid}:${gid}`, '--', path], (error) => {
      if (error === null) resolve();
      else
        reject(
          new SandboxOperationError(
            'create',
            path,
            `cannot hand the work dir to the sandbox user: ${error.message}`,
            { cause: error, retryable: false },
          ),
        );
    });
  });
}
