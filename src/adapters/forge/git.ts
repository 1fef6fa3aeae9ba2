/**
 * Running git for the forges: no shell, a controlled environment (no system or global config,
 * never a prompt), secrets given through the environment of one process only and redacted
 * from every error, and a push that never runs inside the sandbox-written repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GitCommandError, StalePushError, redactSecrets } from './errors.js';

export interface GitOptions {
  cwd?: string;
  /** Extra environment for this one git process. */
  env?: Record<string, string>;
  input?: string;
  /** Redacted from errors. */
  secrets?: readonly string[];
  timeoutMs?: number;
}

/** The identity bzzz commits with when it creates a repository. */
export const BZZZ_GIT_IDENTITY = { name: 'bzzz', email: 'bzzz@localhost' } as const;

function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    GIT_AUTHOR_NAME: BZZZ_GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: BZZZ_GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: BZZZ_GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: BZZZ_GIT_IDENTITY.email,
  };
}

/** Runs `git args...`; resolves stdout, rejects with a redacted {@link GitCommandError}. */
export function git(args: readonly string[], options: GitOptions = {}): Promise<string> {
  const secrets = options.secrets ?? [];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        env: { ...baseEnv(), ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const code = typeof error.code === 'number' ? error.code : null;
        const command = args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? 'git';
        const detail = redactSecrets(stderr.slice(-4000) || error.message, secrets);
        // The original error's message can hold the command line; keep only a redacted copy.
        reject(
          new GitCommandError(command, code, detail, {
            cause: new Error(redactSecrets(error.message, secrets)),
          }),
        );
      },
    );
    // git may exit without reading its input (an error): that is reported above, not here.
    child.stdin?.on('error', () => undefined);
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/** Creates a bare repository at `path` whose `main` holds one commit with a README. */
export async function initBareWithCommit(path: string, title: string): Promise<string> {
  await git(['init', '--quiet', '--bare', '--initial-branch=main', path]);
  const blob = (await git(['hash-object', '-w', '--stdin'], { cwd: path, input: `# ${title}\n` })).trim();
  const tree = (await git(['mktree'], { cwd: path, input: `100644 blob ${blob}\tREADME.md\n` })).trim();
  const commit = (await git(['commit-tree', tree, '-m', 'Initial commit'], { cwd: path })).trim();
  await git(['update-ref', 'refs/heads/main', commit], { cwd: path });
  return commit;
}

/**
 * Writes a config file that names `from` (a repository owned by the sandbox user) safe, for
 * the one git process that reads it: git reads another user's repository only when protected
 * config says so, and a `-c` option does not reach the `upload-pack` a local fetch starts.
 * Returns the file's path; the caller removes it.
 */
async function safeDirectoryConfig(from: string, command: string): Promise<string> {
  const path = resolve(from);
  if (/["\\\n\r]/.test(path)) throw new GitCommandError(command, null, 'unusable work repository path');
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-git-'));
  const file = join(dir, 'config');
  await writeFile(file, `[safe]\n\tdirectory = ${path}\n\tdirectory = ${join(path, '.git')}\n`);
  return file;
}

/** Fetches `sourceRef` of `from` into `repo` as `destRef` (a full ref), never running in `from`. */
export async function fetchFrom(
  repo: string,
  from: string,
  sourceRef: string,
  destRef: string,
): Promise<void> {
  if (sourceRef.startsWith('-')) throw new GitCommandError('fetch', null, 'bad source ref');
  const config = await safeDirectoryConfig(from, 'fetch');
  try {
    await git(
      [
        '-c',
        'core.hooksPath=/dev/null',
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        '--',
        resolve(from),
        `+${sourceRef}:${destRef}`,
      ],
      { cwd: repo, env: { GIT_CONFIG_GLOBAL: config } },
    );
  } finally {
    await rm(join(config, '..'), { recursive: true, force: true });
  }
}

/**
 * The commit `ref` (a full name, `refs/heads/…`) points at in the git directory `gitDir`, read
 * from the files git keeps refs in (a loose ref file, else `packed-refs`); `null` when neither
 * holds it. For repositories bzzz created or cloned itself, whose refs git stores as files.
 */
export async function readRefFile(gitDir: string, ref: string): Promise<string | null> {
  const segments = ref.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  const loose = (await readFile(join(gitDir, ...segments), 'utf8').catch(() => '')).trim();
  if (OBJECT_ID.test(loose)) return loose;
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1) === ref && OBJECT_ID.test(line.slice(0, space))) {
      return line.slice(0, space);
    }
  }
  return null;
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * The commit `refs/heads/<branch>` of a repository bzzz owns points at: read from the files
 * git has just written, or asked of git when they do not hold it.
 */
export async function branchCommit(repo: string, branch: string): Promise<string> {
  const sha = await readRefFile(repo, `refs/heads/${branch}`);
  if (sha !== null) return sha;
  return (await git(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`], { cwd: repo })).trim();
}

/**
 * The branch `HEAD` of a repository bzzz owns names (its default branch), read from the file;
 * `undefined` when HEAD is detached or not a plain file.
 */
export async function headBranch(repo: string): Promise<string | undefined> {
  const head = await readFile(join(repo, 'HEAD'), 'utf8').catch(() => '');
  const match = /^ref: refs\/heads\/(\S+)\n?$/.exec(head);
  return match?.[1];
}

export interface PushFromOptions {
  /** The repository holding the work; it is read by `git fetch`, never run in. */
  from: string;
  sourceRef: string;
  branch: string;
  remote: string;
  /** Environment carrying the credential, for the push process only. */
  pushEnv?: Record<string, string>;
  secrets?: readonly string[];
  /**
   * The remote head the push replaces (`--force-with-lease`), null when the branch must not
   * exist; undefined forces. A mismatch is a {@link StalePushError}.
   */
  expectedHead?: string | null;
}

/**
 * Copies `sourceRef` of `from` into a fresh private bare repository, then pushes it from there
 * as `refs/heads/<branch>`: forced, or a compare-and-swap against `expectedHead`. The push
 * never reads the work repository's config or hooks, which sandboxed commands could have
 * written (an `insteadOf` could otherwise steal the token).
 */
export async function pushFrom(options: PushFromOptions): Promise<string> {
  if (options.sourceRef.startsWith('-')) throw new GitCommandError('fetch', null, 'bad source ref');
  const scratch = await mkdtemp(join(tmpdir(), 'bzzz-push-'));
  try {
    await git(['init', '--quiet', '--bare', scratch]);
    await fetchFrom(scratch, options.from, options.sourceRef, `refs/heads/${options.branch}`);
    const commit = await branchCommit(scratch, options.branch);
    const ref = `refs/heads/${options.branch}`;
    const lease =
      options.expectedHead === undefined
        ? '--force'
        : `--force-with-lease=${ref}:${options.expectedHead ?? ''}`;
    await git(
      ['-c', 'core.hooksPath=/dev/null', 'push', '--quiet', lease, '--', options.remote, `${ref}:${ref}`],
      {
        cwd: scratch,
        env: options.pushEnv ?? {},
        secrets: options.secrets ?? [],
      },
    ).catch((error: unknown) => {
      if (options.expectedHead !== undefined && isLeaseRefusal(error))
        throw new StalePushError(options.branch, options.expectedHead, { cause: error });
      throw error;
    });
    return commit;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * True for git's refusal of a compare-and-swap: the client's own lease check (`stale info`)
 * or the server's ref update finding another old value (`cannot lock ref`, `failed to update`).
 */
function isLeaseRefusal(error: unknown): boolean {
  return (
    error instanceof GitCommandError &&
    /stale info|cannot lock ref|failed to update ref|but expected|fetch first|non-fast-forward/.test(
      error.stderr,
    )
  );
}

/**
 * The commit `refs/heads/<branch>` of `remote` points at (`git ls-remote`), or null when the
 * remote has no such branch.
 */
export async function remoteHead(
  remote: string,
  branch: string,
  options: { env?: Record<string, string>; secrets?: readonly string[] } = {},
): Promise<string | null> {
  const out = await git(['ls-remote', '--', remote, `refs/heads/${branch}`], {
    env: options.env ?? {},
    secrets: options.secrets ?? [],
  });
  const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line === undefined ? null : line.slice(0, line.indexOf('\t'));
}

/** Environment that gives `git` an HTTP Authorization header without argv or disk. */
export function authHeaderEnv(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}
