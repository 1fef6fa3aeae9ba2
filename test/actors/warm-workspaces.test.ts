/**
 * Warm workspaces against the local forge, real git and real sandboxes (the plain backend,
 * the logic being the same for every backend): a workspace is handed out only while it is what
 * a cold prepare would make, and none outlives `close`.
 */
import { access, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WarmWorkspaces } from '../../src/adapters/workspace/warm.js';
import { LocalForge, taskBranch } from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import { PlainSandbox, type Sandbox } from '../../src/adapters/sandbox/index.js';
import { SimulatedClock, type Clock } from '../../src/lib/clock.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

const REPO = 'acme/app';

describe('warm workspaces', () => {
  let dir: string;
  let scratchDir: string;
  let forge: LocalForge;
  let created: Sandbox[];
  let workspaces: WarmWorkspaces | undefined;

  const start = (clock: Clock = systemClock, maxAgeMs?: number): WarmWorkspaces => {
    workspaces = new WarmWorkspaces({
      forge,
      sandboxes: {
        name: 'plain',
        create: async (spec) => {
          const sandbox = await PlainSandbox.create(join(dir, 'sandboxes'), spec);
          created.push(sandbox);
          return sandbox;
        },
      },
      scratchDir,
      perRepo: 1,
      clock,
      logger: silentLogger(),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    });
    return workspaces;
  };

  /** Moves the forge's main branch on by one commit, as a merge would. */
  const moveMain = async (): Promise<void> => {
    const clone = join(dir, `mover-${Date.now()}`);
    await git(['clone', '--quiet', await forge.cloneUrl(REPO), clone]);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'merged elsewhere'], { cwd: clone });
    await git(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: clone });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bzzz-warm-'));
    scratchDir = join(dir, 'scratch');
    await mkdir(scratchDir);
    forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
    created = [];
    workspaces = undefined;
  });
  afterEach(async () => {
    await workspaces?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has none for the first task of a repository, then one ready for the next', async () => {
    const first = await forge.addTask({ title: 'one', repo: REPO, body: '' });
    const second = await forge.addTask({ title: 'two', repo: REPO, body: '' });
    const warm = start();
    expect(await warm.take(first)).toBeUndefined();
    await warm.idle();
    expect(warm.size).toBe(1);
    const workspace = await warm.take(second);
    expect(workspace).toBeDefined();
    expect(workspace!.sandbox.destroyed).toBe(false);
    expect(workspace!.base).toBe('main');
    expect(workspace!.baseSha).toBe(await forge.branchHead(REPO, 'main'));
    // the clone is the sandbox's work dir, at the default branch
    const result = await workspace!.sandbox.exec({ command: ['git', 'rev-parse', 'HEAD'] });
    expect(result.stdout.trim()).toBe(workspace!.baseSha);
    expect(workspace!.sandbox.workDir).toBe(workspace!.clone);
    expect([warm.hits, warm.misses]).toEqual([1, 1]);
    // topped up again for the task after
    await warm.idle();
    expect(warm.size).toBe(1);
    await workspace!.sandbox.destroy();
    await rm(workspace!.scratch, { recursive: true, force: true });
  });

  it('drops a workspace whose default branch moved on, and one for a task with a branch', async () => {
    const keys = await Promise.all(
      ['a', 'b', 'c'].map((title) => forge.addTask({ title, repo: REPO, body: '' })),
    );
    const warm = start();
    await warm.take(keys[0]!);
    await warm.idle();
    const stale = created.at(-1)!;
    await moveMain();
    expect(await warm.take(keys[1]!)).toBeUndefined();
    await warm.idle();
    expect(stale.destroyed).toBe(true);

    // a fresh one was made at the new main; a task whose branch exists resumes cold
    expect(warm.size).toBe(1);
    const clone = join(dir, 'earlier-attempt');
    await git(['clone', '--quiet', await forge.cloneUrl(REPO), clone]);
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${taskBranch(keys[2]!)}`], { cwd: clone });
    expect(await warm.take(keys[2]!)).toBeUndefined();
    expect(warm.misses).toBe(3);
  });

  it('hands out nothing older than its age limit, and sweeps it away', async () => {
    const clock = new SimulatedClock();
    const keys = await Promise.all(['a', 'b'].map((title) => forge.addTask({ title, repo: REPO, body: '' })));
    const warm = start(clock, 60_000);
    await warm.take(keys[0]!);
    await warm.idle();
    expect(warm.size).toBe(1);
    await clock.advance(60_001);
    await warm.idle();
    expect(warm.size).toBe(0);
    expect(created.at(-1)!.destroyed).toBe(true);
    expect(await warm.take(keys[1]!)).toBeUndefined();
  });

  it('leaves no sandbox and no clone after close, even with one being made', async () => {
    const keys = await Promise.all(['a', 'b'].map((title) => forge.addTask({ title, repo: REPO, body: '' })));
    const warm = start();
    await warm.take(keys[0]!);
    await warm.idle();
    await warm.take(keys[1]!).then(async (w) => {
      await w?.sandbox.destroy();
      if (w !== undefined) await rm(w.scratch, { recursive: true, force: true });
    });
    // a refill is under way now
    await warm.close();
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(created.every((s) => s.destroyed)).toBe(true);
    expect(await readdir(scratchDir)).toEqual([]);
    expect(await warm.take(keys[1]!)).toBeUndefined();
    await warm.idle();
    expect(warm.size).toBe(0);
    await expect(access(scratchDir)).resolves.toBeUndefined();
  });
});
