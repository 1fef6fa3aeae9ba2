/**
 * The bare repositories of the local forge: created (new with an initial commit, or a bare
 * clone) in a scratch directory and renamed into place under the forge lock, so a reader never
 * sees half a repository.
 */
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import { git, headBranch, initBareWithCommit } from './git.js';
import type { LocalStore } from './local-store.js';
import type { RepoName } from './names.js';

/** Creates the repository unless it exists; true when it created it. */
export async function createRepo(store: LocalStore, repo: RepoName, from?: string): Promise<boolean> {
  if (await repoExists(store, repo)) return false;
  return store.withLock('forge', async () => {
    if (await repoExists(store, repo)) return false;
    const scratch = join(store.dir, '.meta', 'tmp', `${ulid()}.git`);
    await mkdir(join(scratch, '..'), { recursive: true });
    try {
      if (from === undefined) await initBareWithCommit(scratch, repo.full);
      else await git(['clone', '--quiet', '--bare', '--', isUrl(from) ? from : resolve(from), scratch]);
      await mkdir(join(store.dir, repo.owner), { recursive: true });
      await rename(scratch, store.bareRepo(repo));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return true;
  });
}

export async function repoExists(store: LocalStore, repo: RepoName): Promise<boolean> {
  try {
    await access(join(store.bareRepo(repo), 'HEAD'));
    return true;
  } catch {
    return false;
  }
}

/** Every `bzzz/` branch of a repository. */
export async function taskBranches(store: LocalStore, repo: RepoName): Promise<Set<string>> {
  const out = await git(['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/bzzz/'], {
    cwd: store.bareRepo(repo),
  });
  return new Set(out.split('\n').filter((l) => l !== ''));
}

export async function defaultBranch(bare: string): Promise<string> {
  const head = await headBranch(bare);
  if (head !== undefined) return head;
  return (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: bare }).catch(() => 'main')).trim() || 'main';
}

function isUrl(from: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^[^/]+@[^/]+:/.test(from);
}
