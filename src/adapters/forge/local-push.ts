/**
 * The local forge's push in two halves: the objects are fetched into the forge's bare
 * repository under a private ref (slow, outside any lock), then the branch is moved there with
 * a compare-and-swap (`git update-ref <ref> <new> <old>`), under the repository lock and after
 * the token check. A push refused after its fetch leaves only unreferenced objects behind.
 */
import { ulid } from 'ulid';
import { StalePushError } from './errors.js';
import { fetchFrom, git, readRefFile } from './git.js';

/** Objects fetched into a bare repository, held by a private ref until the branch moves. */
export interface Incoming {
  /** `refs/bzzz/incoming/<id>`: never cloned (clones take `refs/heads/*` and tags). */
  ref: string;
  commit: string;
}

/** Fetches `sourceRef` of `from` (read, never run in) into `repo` under a private ref. */
export async function fetchIncoming(repo: string, from: string, sourceRef: string): Promise<Incoming> {
  const ref = `refs/bzzz/incoming/${ulid()}`;
  await fetchFrom(repo, from, sourceRef, ref);
  // the fetch wrote the ref as a loose file: read in process, no second git
  const commit = await readRefFile(repo, ref);
  if (commit === null) throw new Error(`fetch of ${sourceRef} from ${from} wrote no ${ref}`);
  return { ref, commit };
}

/** Drops the private ref of an incoming push (its objects go with git's next gc). */
export async function dropIncoming(repo: string, incoming: Incoming): Promise<void> {
  await git(['update-ref', '-d', incoming.ref], { cwd: repo }).catch(() => undefined);
}

const ABSENT = '0'.repeat(40);

/**
 * Moves `refs/heads/<branch>` to the incoming commit if it still holds what was read just
 * before (or `expected`, when given: null for absent), and drops the incoming ref, in one
 * `git update-ref --stdin` transaction (all or nothing). Returns the head it replaced. Throws
 * {@link StalePushError} when the branch is not at the expected head.
 */
export async function compareAndSwapBranch(
  repo: string,
  branch: string,
  incoming: Incoming,
  expected?: string | null,
): Promise<string | null> {
  const ref = `refs/heads/${branch}`;
  const current = await readRefFile(repo, ref);
  if (expected !== undefined && current !== expected) throw new StalePushError(branch, expected);
  const transaction = `update ${ref} ${incoming.commit} ${current ?? ABSENT}\ndelete ${incoming.ref}\n`;
  await git(['update-ref', '--stdin'], { cwd: repo, input: transaction }).catch((error: unknown) => {
    throw new StalePushError(branch, current, { cause: error });
  });
  return current;
}
