/**
 * What only the github forge does: rate limits (secondary with `retry-after`, 429, primary
 * quota spent), 500s, malformed answers, conditional polling that spends no quota while
 * nothing changes, and a token that never shows up in a clone URL, a file or an error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GitHubApiError,
  GitHubForge,
  GitHubMalformedResponseError,
  GitHubRateLimitError,
  taskBranch,
  type GitHubForgeInit,
} from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import { describeError, silentLogger, systemClock } from '../../src/lib/index.js';
import { FakeGitHub } from '../fakes/github-server.js';

const TOKEN = 'ghs_secretTokenThatMustNeverLeak42';
const REPO = 'acme/widgets';
const held = async (): Promise<void> => undefined;

describe('github forge against a misbehaving GitHub', () => {
  let fake: FakeGitHub;
  let work: string;

  beforeEach(async () => {
    fake = await FakeGitHub.start({ token: TOKEN });
    await fake.createRepo(REPO);
    work = await mkdtemp(join(tmpdir(), 'bzzz-gh-work-'));
  });
  afterEach(async () => {
    await fake.stop();
    await rm(work, { recursive: true, force: true });
  });

  function forge(extra: Partial<GitHubForgeInit> = {}): GitHubForge {
    return new GitHubForge(
      { token: TOKEN, apiUrl: fake.url, repos: [REPO], writeIntervalMs: 0, retryBaseMs: 1, ...extra },
      { logger: silentLogger(), clock: systemClock },
    );
  }

  function task(title = 'a task'): string {
    return `github:${REPO}#${fake.createIssue(REPO, { title, labels: ['bzzz-task'] })}`;
  }

  it('lists only issues labelled bzzz-task, never pull requests, across pages', async () => {
    fake.createIssue(REPO, { title: 'just a bug' });
    for (let i = 0; i < 130; i++) task(`task ${i}`);
    await fake.addPull(REPO, 'main', 'open');
    const tasks = await forge().listOpenTasks();
    expect(tasks).toHaveLength(130);
    expect(tasks.map((t) => t.title)).not.toContain('just a bug');
    expect(fake.requests.filter((r) => r.path.includes('/issues?')).length).toBe(2);
  });

  it('polls with ETags: an idle poll spends no quota, a change is seen at once', async () => {
    task();
    const f = forge();
    expect(await f.listOpenTasks()).toHaveLength(1);
    const spent = fake.quotaUsed;
    const remaining = f.quota()?.remaining;
    for (let i = 0; i < 5; i++) expect(await f.listOpenTasks()).toHaveLength(1);
    expect(fake.quotaUsed).toBe(spent);
    expect(f.quota()?.remaining).toBe(remaining);
    expect(fake.requests.slice(-5).map((r) => r.status)).toEqual([304, 304, 304, 304, 304]);
    task('new');
    expect((await f.listOpenTasks()).map((t) => t.title)).toEqual(['a task', 'new']);
    expect(fake.quotaUsed).toBe(spent + 1);
  });

  it('waits out a secondary rate limit (403 and 429 with retry-after) and goes on', async () => {
    task();
    fake.inject({ kind: 'secondary', retryAfter: 1, match: /^GET .*\/issues$/ });
    expect(await forge().listOpenTasks()).toHaveLength(1);
    fake.inject({ kind: '429', retryAfter: 1, match: /^GET .*\/issues$/ });
    expect(await forge().listOpenTasks()).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200, 429, 200]);
  });

  it('gives up with GitHubRateLimitError when the limit lasts, or the wait is too long', async () => {
    task();
    fake.inject({ kind: 'secondary', retryAfter: 1, times: 2 });
    const error = await forge({ rateLimitRetries: 1 })
      .listOpenTasks()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error).toMatchObject({ limit: 'secondary', status: 403, retryable: true });
    expect((error as GitHubRateLimitError).retryAt).toBeGreaterThan(Date.now() - 5000);
    expect(fake.requests).toHaveLength(2);

    fake.inject({ kind: 'secondary', retryAfter: 3600, times: 1 });
    const before = fake.requests.length;
    await expect(forge({ maxRateLimitWaitMs: 10_000 }).listOpenTasks()).rejects.toBeInstanceOf(
      GitHubRateLimitError,
    );
    expect(fake.requests.length).toBe(before + 1);
  });

  it('stops calling once the primary quota is spent, until its reset', async () => {
    task();
    fake.setQuota(0, 3600);
    const f = forge({ maxRateLimitWaitMs: 10_000 });
    const error = await f.listOpenTasks().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GitHubRateLimitError', limit: 'primary' });
    expect((error as GitHubRateLimitError).retryAt).toBeGreaterThan(Date.now() + 3_000_000);
    const calls = fake.requests.length;
    await expect(f.listOpenTasks()).rejects.toBeInstanceOf(GitHubRateLimitError);
    expect(fake.requests.length).toBe(calls);
  });

  it('waits for a primary quota that resets soon', async () => {
    task();
    fake.setQuota(0, 1);
    expect(await forge().listOpenTasks()).toHaveLength(1);
  });

  it('retries a 500, and names a 500 that lasts', async () => {
    task();
    fake.inject({ kind: '500', times: 1 });
    expect(await forge().listOpenTasks()).toHaveLength(1);
    fake.inject({ kind: '500', times: 10 });
    const error = await forge({ retries: 2 })
      .listOpenTasks()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ status: 500, retryable: true });
  });

  it('names malformed JSON and answers of the wrong shape', async () => {
    const key = task();
    fake.inject({ kind: 'malformed' });
    await expect(forge().listOpenTasks()).rejects.toBeInstanceOf(GitHubMalformedResponseError);
    fake.inject({ kind: 'wrong-shape' });
    await expect(forge().listOpenTasks()).rejects.toBeInstanceOf(GitHubMalformedResponseError);
    fake.inject({ kind: 'malformed' });
    await expect(forge().getTask(key)).rejects.toBeInstanceOf(GitHubMalformedResponseError);
    expect(await forge().getTask(key)).toMatchObject({ key, title: 'a task' });
  });

  it('assigns the token user on claim', async () => {
    const key = task();
    await forge().markClaimed(key, { agent: 'agent-1', token: 9, holder: 'agent-1', fence: held });
    expect(fake.issue(REPO, 1).assignees).toEqual(['bzzz-bot']);
  });

  it('keeps the token out of clone URLs, files and every error', async () => {
    const key = task();
    const f = forge();
    const cloneUrl = await f.cloneUrl(REPO);
    expect(cloneUrl).not.toContain(TOKEN);
    expect(JSON.stringify(await f.listRepos())).not.toContain(TOKEN);

    const dir = join(work, 'clone');
    await git(['clone', '--quiet', cloneUrl, dir]);
    await git(['checkout', '--quiet', '-b', taskBranch(key)], { cwd: dir });
    await writeFile(join(dir, 'x.txt'), 'x\n');
    await git(['add', 'x.txt'], { cwd: dir });
    await git(['commit', '--quiet', '-m', 'x'], { cwd: dir });
    await f.pushBranch({ key, branch: taskBranch(key), from: dir, token: 1, holder: 'a', fence: held });
    expect(fake.pushes.at(-1)).toEqual({ authorized: true });
    expect(await readFile(join(dir, '.git', 'config'), 'utf8')).not.toContain(TOKEN);

    const errors: unknown[] = [];
    fake.refusePushes = true;
    errors.push(
      await f
        .pushBranch({ key, branch: taskBranch(key), from: dir, token: 1, holder: 'a', fence: held })
        .catch((e: unknown) => e),
    );
    fake.refusePushes = false;
    fake.inject({ kind: '500', times: 10 });
    errors.push(
      await forge({ retries: 0 })
        .getTask(key)
        .catch((e: unknown) => e),
    );
    errors.push(
      await forge({ token: `${TOKEN}-wrong` })
        .getTask(key)
        .catch((e: unknown) => e),
    );
    errors.push(
      await forge({ apiUrl: 'http://127.0.0.1:9', retries: 0 })
        .getTask(key)
        .catch((e: unknown) => e),
    );
    expect(errors.map((e) => (e as Error).name)).toEqual([
      'GitCommandError',
      'GitHubApiError',
      'GitHubApiError',
      'GitHubApiError',
    ]);
    for (const error of errors) {
      let e: unknown = error;
      while (e instanceof Error) {
        expect(`${describeError(e)} ${e.stack ?? ''} ${JSON.stringify(e)}`).not.toContain(TOKEN);
        e = e.cause;
      }
    }
  });
});
