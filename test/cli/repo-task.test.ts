/** `bzzz repo` and `bzzz task` against a local forge, run in process with captured streams. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError, type Command } from '../../src/cli/command.js';
import { localForge } from '../../src/cli/commands/repo.js';
import { repoCommand } from '../../src/cli/commands/repo.js';
import { taskCommand } from '../../src/cli/commands/task.js';
import { git } from '../../src/adapters/forge/git.js';
import { taskBranch } from '../../src/adapters/forge/index.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'bzzz-cli-forge-'));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

async function run(
  command: Command,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await command.run({ argv, stdout, stderr, env, cwd, debug: false, tty: false });
  return { code, out, err };
}

describe('bzzz repo', () => {
  it('adds a new repository and lists it with a clone URL that clones', async () => {
    expect((await run(repoCommand, ['add', 'acme/site'])).code).toBe(0);
    const { code, out } = await run(repoCommand, ['list', '--json']);
    expect(code).toBe(0);
    const repos = JSON.parse(out) as { name: string; url: string }[];
    expect(repos).toEqual([
      {
        name: 'acme/site',
        url: expect.stringMatching(/^file:\/\/.*\.bzzz\/forge\/acme\/site\.git$/) as unknown,
      },
    ]);
    await git(['clone', '--quiet', repos[0]!.url, join(cwd, 'c')]);
    expect((await run(repoCommand, ['list'])).out).toContain('acme/site');
  });

  it('imports a repository given by a relative path, under BZZZ_FORGE_DIR', async () => {
    await git(['init', '--quiet', '--initial-branch=main', join(cwd, 'src-repo')]);
    await writeFile(join(cwd, 'src-repo', 'x'), 'x');
    await git(['add', 'x'], { cwd: join(cwd, 'src-repo') });
    await git(['commit', '--quiet', '-m', 'mine'], { cwd: join(cwd, 'src-repo') });
    const env = { BZZZ_FORGE_DIR: 'elsewhere' };
    expect((await run(repoCommand, ['add', 'me/mine', '--from', 'src-repo'], env)).code).toBe(0);
    const repos = JSON.parse((await run(repoCommand, ['list', '--json'], env)).out) as { url: string }[];
    expect(repos[0]!.url).toContain('/elsewhere/me/mine.git');
    await git(['clone', '--quiet', repos[0]!.url, join(cwd, 'c')]);
    expect((await git(['log', '--format=%s'], { cwd: join(cwd, 'c') })).trim()).toBe('mine');
  });

  it('prints help and rejects bad usage', async () => {
    const help = await run(repoCommand, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('bzzz repo add OWNER/NAME');
    await expect(run(repoCommand, [])).rejects.toBeInstanceOf(UsageError);
    await expect(run(repoCommand, ['frobnicate'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(repoCommand, ['add'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(repoCommand, ['add', '../etc'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(repoCommand, ['list', '--bogus'])).rejects.toBeInstanceOf(UsageError);
  });

  it('fails (not bad usage) when the repository exists', async () => {
    await run(repoCommand, ['add', 'acme/site']);
    await expect(run(repoCommand, ['add', 'acme/site'])).rejects.toMatchObject({ name: 'RepoExistsError' });
  });
});

describe('bzzz task', () => {
  it('adds tasks, prints their keys, and lists them with state, holder, branch and prs', async () => {
    await writeFile(join(cwd, 'body.md'), 'Do it.\n');
    const first = await run(taskCommand, [
      'add',
      '--title',
      'Add a file',
      '--body-file',
      'body.md',
      '--label',
      'docs',
      '--label',
      'easy',
    ]);
    expect(first).toMatchObject({ code: 0, out: 'local:demo/app#1\n' });
    expect((await run(taskCommand, ['add', '--title', 'Other', '--repo', 'acme/site'])).out).toBe(
      'local:acme/site#1\n',
    );

    const forge = localForge({ env: {}, cwd });
    const key = 'local:demo/app#1';
    await forge.markClaimed(key, {
      agent: 'agent-2',
      token: 5,
      holder: 'agent-2',
      fence: async () => undefined,
    });
    const clone = join(cwd, 'clone');
    await git(['clone', '--quiet', await forge.cloneUrl('demo/app'), clone]);
    await git(['checkout', '--quiet', '-b', taskBranch(key)], { cwd: clone });
    await git(['commit', '--quiet', '--allow-empty', '-m', 'w'], { cwd: clone });
    await forge.pushBranch({
      key,
      branch: taskBranch(key),
      from: clone,
      token: 5,
      holder: 'agent-2',
      fence: async () => undefined,
    });
    const { pr } = await forge.openPullRequest({
      key,
      branch: taskBranch(key),
      title: 't',
      body: 'b',
      token: 5,
      holder: 'agent-2',
      fence: async () => undefined,
    });

    const list = await run(taskCommand, ['list', '--json']);
    const rows = JSON.parse(list.out) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.key === key)).toEqual({
      key,
      title: 'Add a file',
      state: 'publishing',
      holder: 'agent-2',
      branch: 'bzzz/task-1',
      pr: { number: pr.number, url: pr.url, state: 'open' },
      prs: [{ number: pr.number, url: pr.url, state: 'open' }],
    });
    expect(rows.find((r) => r.key === 'local:acme/site#1')).toMatchObject({
      state: 'discovered',
      holder: null,
      branch: null,
      pr: null,
      prs: [],
    });
    expect(Object.keys(rows[0]!).sort()).toEqual(['branch', 'holder', 'key', 'pr', 'prs', 'state', 'title']);

    const table = (await run(taskCommand, ['list'])).out;
    expect(table).toMatch(/local:demo\/app#1\s+publishing\s+agent-2\s+#2\s+Add a file/);

    const show = await run(taskCommand, ['show', key]);
    expect(show.out).toContain('Do it.');
    expect(show.out).toContain('docs, easy');
    const shown = JSON.parse((await run(taskCommand, ['show', key, '--json'])).out) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({
      key,
      holder: 'agent-2',
      body: 'Do it.\n',
      labels: ['bzzz-task', 'docs', 'easy', 'in-progress'],
    });
    const effects = shown.effects as {
      effect: string;
      token: number;
      holder: string;
      at: string;
      sha?: string;
    }[];
    expect(effects.map((e) => [e.effect, e.token, e.holder])).toEqual([
      ['claim', 5, 'agent-2'],
      ['push', 5, 'agent-2'],
      ['pull-request', 5, 'agent-2'],
    ]);
    expect(effects[1]?.sha).toBe(pr.headSha);
    expect(Object.keys(effects[0]!).sort()).toEqual(['at', 'effect', 'holder', 'token']);
  });

  it('prints help and rejects bad usage', async () => {
    expect((await run(taskCommand, ['add', '--help'])).out).toContain('--body-file');
    await expect(run(taskCommand, ['add'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(taskCommand, ['add', '--title'])).rejects.toBeInstanceOf(UsageError);
    await expect(
      run(taskCommand, ['add', '--title', 't', '--body-file', 'missing.md']),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(run(taskCommand, ['add', '--title', 't', '--repo', 'no-slash'])).rejects.toBeInstanceOf(
      UsageError,
    );
    await expect(run(taskCommand, ['show'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(taskCommand, ['show', 'not-a-key'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(taskCommand, ['list', '--repo', 'nobody/here'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(taskCommand, ['list', 'extra'])).rejects.toBeInstanceOf(UsageError);
  });

  it('says when a task does not exist', async () => {
    await run(taskCommand, ['add', '--title', 't']);
    await expect(run(taskCommand, ['show', 'local:demo/app#9'])).rejects.toMatchObject({
      name: 'TaskNotFoundError',
    });
    expect((await run(taskCommand, ['list', '--json'], { BZZZ_DATA_DIR: 'empty' })).out).toBe('[]\n');
  });
});
