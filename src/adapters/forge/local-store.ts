/**
 * The files of the local forge and how several processes share them. Layout under the
 * forge directory:
 *
 * ```
 * <owner>/<name>.git                     bare repository
 * .meta/<owner>/<name>/repo.json         next number (tasks and pull requests share it, as on GitHub)
 * .meta/<owner>/<name>/tasks/<n>.json    task record
 * .meta/<owner>/<name>/pulls/<n>.json    pull-request record
 * ```
 *
 * Writers hold a per-repository lock (proper-lockfile, a lock directory that works across
 * processes); every file is replaced by an atomic rename, so readers need no lock.
 * Owner names cannot start with a dot, so `.meta` never collides with a repository.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { Logger } from '../../lib/log.js';
import { ForgeDataError } from './errors.js';
import type { RepoName } from './names.js';

const Comment = z.object({ author: z.string(), body: z.string(), at: z.string() });

export const TaskFile = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  labels: z.array(z.string()),
  state: z.enum(['open', 'closed']),
  assignees: z.array(z.string()),
  comments: z.array(Comment),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskFile = z.infer<typeof TaskFile>;

export const PullFile = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  base: z.string(),
  head: z.string(),
  headSha: z.string(),
  state: z.enum(['open', 'closed', 'merged']),
  createdAt: z.string(),
});
export type PullFile = z.infer<typeof PullFile>;

const RepoFile = z.object({ nextNumber: z.number().int().positive() });

/** Paths and locked, atomic reads and writes of one forge directory. */
export class LocalStore {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  bareRepo(repo: RepoName): string {
    return join(this.dir, repo.owner, `${repo.name}.git`);
  }

  metaDir(repo: RepoName): string {
    return join(this.dir, '.meta', repo.owner, repo.name);
  }

  /** Runs `fn` holding the lock of `name` (a directory under `.meta`), across processes. */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const target = join(this.dir, '.meta', name);
    await mkdir(target, { recursive: true });
    const release = await lock(target, {
      realpath: false,
      lockfilePath: join(target, '.lock'),
      stale: 10_000,
      retries: { retries: 400, minTimeout: 5, maxTimeout: 50, factor: 1.3, randomize: true },
      onCompromised: (error) => {
        // The default throws from a timer, which would kill the process.
        this.logger.error({ err: error, lock: target }, 'local forge lock compromised');
      },
    });
    try {
      return await fn();
    } finally {
      await release().catch((error: unknown) =>
        this.logger.warn({ err: error, lock: target }, 'local forge unlock failed'),
      );
    }
  }

  /** Takes the next task or pull-request number of a repository; call under its lock. */
  async allocateNumber(repo: RepoName): Promise<number> {
    const path = join(this.metaDir(repo), 'repo.json');
    const current = (await this.#readJson(path, RepoFile)) ?? { nextNumber: 1 };
    await this.writeJson(path, { nextNumber: current.nextNumber + 1 });
    return current.nextNumber;
  }

  taskPath(repo: RepoName, number: number): string {
    return join(this.metaDir(repo), 'tasks', `${number}.json`);
  }

  pullPath(repo: RepoName, number: number): string {
    return join(this.metaDir(repo), 'pulls', `${number}.json`);
  }

  readTask(repo: RepoName, number: number): Promise<TaskFile | null> {
    return this.#readJson(this.taskPath(repo, number), TaskFile);
  }

  async listTasks(repo: RepoName): Promise<TaskFile[]> {
    return this.#readAll(join(this.metaDir(repo), 'tasks'), TaskFile);
  }

  async listPulls(repo: RepoName): Promise<PullFile[]> {
    return this.#readAll(join(this.metaDir(repo), 'pulls'), PullFile);
  }

  /** Writes `value` as JSON by an atomic rename: a reader sees the old or the new file. */
  async writeJson(path: string, value: unknown): Promise<void> {
    const dir = join(path, '..');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${ulid()}.tmp`);
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(tmp, path);
  }

  /** Owners and names of every repository with a bare repository on disk. */
  async listRepoDirs(): Promise<{ owner: string; name: string }[]> {
    const out: { owner: string; name: string }[] = [];
    for (const owner of await readdirOrEmpty(this.dir)) {
      if (owner.startsWith('.')) continue;
      for (const entry of await readdirOrEmpty(join(this.dir, owner))) {
        if (entry.endsWith('.git') && !entry.startsWith('.')) out.push({ owner, name: entry.slice(0, -4) });
      }
    }
    return out.sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
  }

  async #readAll<T>(dir: string, schema: z.ZodType<T>): Promise<T[]> {
    const files = (await readdirOrEmpty(dir)).filter((f) => /^[0-9]+\.json$/.test(f));
    files.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    const out: T[] = [];
    for (const f of files) {
      const record = await this.#readJson(join(dir, f), schema);
      if (record !== null) out.push(record);
    }
    return out;
  }

  async #readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ForgeDataError(path, 'unreadable', { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ForgeDataError(path, 'not JSON', { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ForgeDataError(path, parsed.error.issues[0]?.message ?? 'bad shape');
    return parsed.data;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return [];
    throw error;
  }
}
