/**
 * Seeding the local forge with task files: Markdown with a YAML front matter (`title`, `repo`,
 * `labels`, and `from`, a directory imported as the repository when the forge does not have
 * it yet), the body being the issue text with its `bzzz-steps` block. A task whose title
 * already exists in its repository is not added again, so seeding is idempotent.
 */
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { git, RepoExistsError, type LocalForge } from '../adapters/forge/index.js';
import { BzzzError } from '../lib/errors.js';

export class TaskFileError extends BzzzError {
  override readonly name = 'TaskFileError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`task file ${file}: ${detail}`, { retryable: false });
  }
}

const frontMatter = z.strictObject({
  title: z.string().min(1).max(256),
  repo: z.string().min(3).max(200).optional(),
  from: z.string().min(1).optional(),
  labels: z.array(z.string().min(1).max(50)).max(20).optional(),
});

export interface TaskFile {
  file: string;
  title: string;
  repo: string;
  from: string | undefined;
  labels: string[];
  body: string;
}

export function parseTaskFile(file: string, text: string, defaultRepo: string): TaskFile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (match === null) throw new TaskFileError(file, 'expected a YAML front matter between --- lines');
  let meta: unknown;
  try {
    meta = parseYaml(match[1]!);
  } catch (error) {
    throw new TaskFileError(
      file,
      `front matter is not YAML: ${(error as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const parsed = frontMatter.safeParse(meta);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TaskFileError(file, `${issue.path.join('.') || 'front matter'}: ${issue.message}`);
  }
  return {
    file,
    title: parsed.data.title,
    repo: parsed.data.repo ?? defaultRepo,
    from: parsed.data.from === undefined ? undefined : resolve(dirname(file), parsed.data.from),
    labels: parsed.data.labels ?? [],
    body: match[2]!.trim(),
  };
}

/** Imports a plain directory (not a git repository) as a repository with one commit on main. */
async function importDirectory(forge: LocalForge, name: string, dir: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bzzz-seed-'));
  try {
    await cp(dir, work, { recursive: true });
    await git(['init', '--quiet', '--initial-branch=main'], { cwd: work });
    await git(['add', '-A'], { cwd: work });
    await git(['commit', '--quiet', '-m', 'Initial import'], { cwd: work });
    await forge.addRepo(name, { from: work });
  } catch (error) {
    if (!(error instanceof RepoExistsError)) throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Adds every task file of `dir` that its repository does not have yet; returns the keys added. */
export async function seedTasks(forge: LocalForge, dir: string, defaultRepo = 'demo/app'): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  const tasks = await Promise.all(
    files.map(async (f) => parseTaskFile(join(dir, f), await readFile(join(dir, f), 'utf8'), defaultRepo)),
  );
  const known = new Set((await forge.listRepos()).map((r) => r.name));
  const added: string[] = [];
  for (const task of tasks) {
    if (!known.has(task.repo) && task.from !== undefined) {
      await importDirectory(forge, task.repo, task.from);
      known.add(task.repo);
    }
    const existing = known.has(task.repo) ? await forge.taskRecords(task.repo) : [];
    if (existing.some((t) => t.title === task.title)) continue;
    added.push(
      await forge.addTask({ title: task.title, body: task.body, repo: task.repo, labels: task.labels }),
    );
    known.add(task.repo);
  }
  return added;
}
