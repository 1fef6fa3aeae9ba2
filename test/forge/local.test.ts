/**
 * The forge compliance suite against the local forge, plus what only the local forge does:
 * importing repositories, creating them on first use, corrupt records.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import {
  BranchNotFoundError,
  ForgeDataError,
  InvalidRepoNameError,
  LocalForge,
  RepoExistsError,
  taskBranch,
} from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import { LocalStore } from '../../src/adapters/forge/local-store.js';
import { parseRepoName } from '../../src/adapters/forge/names.js';
import { parseTaskKey } from '../../src/protocol/task-key.js';
import { forgeCompliance } from '../compliance/forge.js';

const components = () => ({ logger: silentLogger(), clock: systemClock });

forgeCompliance(
  'local',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bzzz-local-forge-'));
    const forge = new LocalForge({ dir }, components());
    const store = new LocalStore(dir, silentLogger());
    return {
      forge,
      addTask: (input) => forge.addTask(input),
      comments: async (key) => {
        const ref = parseTaskKey(key);
        const task = await store.readTask(parseRepoName(`${ref.owner}/${ref.repo}`), ref.number);
        return task?.comments.map((c) => c.body) ?? [];
      },
      remoteBranch: async (repo, branch) => {
        const out = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
          cwd: store.bareRepo(parseRepoName(repo)),
        }).catch(() => '');
        return out.trim() === '' ? null : out.trim();
      },
      pullCount: async (repo) => (await store.listPulls(parseRepoName(repo))).length,
      addClosedPull: async (repo, branch) => {
        const name = parseRepoName(repo);
        return store.withLock(join(name.owner, name.name), async () => {
          const number = await store.allocateNumber(name);
          await store.writeJson(store.pullPath(name, number), {
            number,
            title: 'manual',
            body: '',
            base: 'main',
            head: branch,
            headSha: '0'.repeat(40),
            state: 'closed',
            createdAt: new Date().toISOString(),
          });
          return number;
        });
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { checksTokens: true },
);

describe('local forge', () => {
  let dir: string;
  let forge: LocalForge;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bzzz-local-forge-'));
    forge = new LocalForge({ dir: join(dir, 'forge') }, components());
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates an unknown repository with an initial commit on main', async () => {
    const key = await forge.addTask({ title: 'first' });
    expect(key).toBe('local:demo/app#1');
    expect(await forge.addTask({ title: 'second' })).toBe('local:demo/app#2');
    const clone = join(dir, 'clone');
    await git(['clone', '--quiet', await forge.cloneUrl('demo/app'), clone]);
    expect((await git(['branch', '--show-current'], { cwd: clone })).trim()).toBe('main');
    expect(await readdir(clone)).toContain('README.md');
  });

  it('imports an existing repository with its history, and refuses to add it twice', async () => {
    const source = join(dir, 'source');
    await git(['init', '--quiet', '--initial-branch=trunk', source]);
    await writeFile(join(source, 'a.txt'), 'a\n');
    await git(['add', 'a.txt'], { cwd: source });
    await git(['commit', '--quiet', '-m', 'imported commit'], { cwd: source });
    const repo = await forge.addRepo('acme/imported', { from: source });
    expect(repo).toMatchObject({ name: 'acme/imported', defaultBranch: 'trunk' });
    expect(repo.cloneUrl.startsWith('file://')).toBe(true);
    const clone = join(dir, 'clone');
    await git(['clone', '--quiet', repo.cloneUrl, clone]);
    expect((await git(['log', '--format=%s'], { cwd: clone })).trim()).toBe('imported commit');
    await expect(forge.addRepo('acme/imported')).rejects.toBeInstanceOf(RepoExistsError);
    expect((await forge.listRepos()).map((r) => r.name)).toEqual(['acme/imported']);
  });

  it('refuses unsafe repository names', async () => {
    for (const name of ['../x', 'a/b/c', '.hidden/x', 'a/.git', 'noslash', 'a/b.git']) {
      await expect(forge.addRepo(name)).rejects.toBeInstanceOf(InvalidRepoNameError);
    }
  });

  it('refuses a pull request for a branch that was never pushed', async () => {
    const key = await forge.addTask({ title: 't' });
    await expect(
      forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 't',
        body: 'b',
        token: 1,
        holder: 'agent-1',
        fence: async () => undefined,
      }),
    ).rejects.toBeInstanceOf(BranchNotFoundError);
  });

  it('counts each refused stale effect through its hook, and refuses none with the token check off (tests only)', async () => {
    const refused: string[] = [];
    const counted = new LocalForge(
      { dir: join(dir, 'forge') },
      { ...components(), onFencedRejection: (effect) => refused.push(effect) },
    );
    const key = await counted.addTask({ title: 't' });
    const lease = (token: number) => ({
      agent: `agent-${token}`,
      token,
      holder: `agent-${token}`,
      fence: async () => undefined,
    });
    await counted.markClaimed(key, lease(2));
    await expect(counted.markClaimed(key, lease(1))).rejects.toMatchObject({
      name: 'StaleTokenError',
      highest: 2,
    });
    await expect(counted.reportComplete(key, { ...lease(1), summary: 's' })).rejects.toMatchObject({
      name: 'StaleTokenError',
    });
    expect(refused).toEqual(['claim', 'report']);
    // with the check off a stale effect lands, and the log shows it after the newer one
    const unchecked = new LocalForge({ dir: join(dir, 'forge'), checkTokens: false }, components());
    await unchecked.reportComplete(key, { ...lease(1), summary: 'stale' });
    const { effects } = await unchecked.taskRecord(key);
    expect(effects?.map((e) => [e.effect, e.token])).toEqual([
      ['claim', 2],
      ['report', 1],
    ]);
  });

  it('refuses an effect whose lease check passed but which reached the forge after a newer token', async () => {
    // the way to the forge is slow (test-only latency): holder 1 checks its lease, and while
    // its effect travels, holder 2 wins the task and claims it; holder 1's effect then arrives
    const slow = new LocalForge({ dir: join(dir, 'forge'), latencyMs: 300 }, components());
    const key = await slow.addTask({ title: 't' });
    let checked = (): void => undefined;
    const passed = new Promise<void>((resolve) => (checked = resolve));
    const stale = slow.markClaimed(key, {
      agent: 'agent-1',
      token: 1,
      holder: 'agent-1',
      fence: async () => checked(),
    });
    stale.catch(() => undefined);
    await passed;
    await forge.markClaimed(key, {
      agent: 'agent-2',
      token: 2,
      holder: 'agent-2',
      fence: async () => undefined,
    });
    await expect(stale).rejects.toMatchObject({ name: 'StaleTokenError', token: 1, highest: 2 });
    const { effects } = await forge.taskRecord(key);
    expect(effects?.map((e) => [e.effect, e.token, e.holder])).toEqual([['claim', 2, 'agent-2']]);
  });

  it('reports a corrupt record by name instead of crashing', async () => {
    const key = await forge.addTask({ title: 't' });
    await writeFile(join(dir, 'forge', '.meta', 'demo', 'app', 'tasks', '1.json'), '{"number": 1, "tit');
    await expect(forge.getTask(key)).rejects.toBeInstanceOf(ForgeDataError);
    await expect(forge.taskRecords()).rejects.toBeInstanceOf(ForgeDataError);
  });
});
