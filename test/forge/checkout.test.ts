/**
 * A task's clone (one `git clone` plus file reads) and the ref reading behind it, against the
 * local forge and real git: a fresh task starts at the default branch, a task whose branch an
 * earlier attempt pushed continues from it, and `branchHead` follows pushes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkoutTask, cloneRepo, LocalForge, taskBranch } from '../../src/adapters/forge/index.js';
import { git, readRefFile } from '../../src/adapters/forge/git.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

const REPO = 'acme/app';
const fence = () => Promise.resolve();
const lease = { token: 1, holder: 'agent-1' };

describe('task checkout', () => {
  let dir: string;
  let forge: LocalForge;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bzzz-checkout-'));
    forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const commitIn = async (clone: string, file: string): Promise<string> => {
    await writeFile(join(clone, file), `${file}\n`);
    await git(['add', file], { cwd: clone });
    await git(['commit', '--quiet', '-m', file], { cwd: clone });
    return (await git(['rev-parse', 'HEAD'], { cwd: clone })).trim();
  };

  it('clones the default branch and names the commit it is at', async () => {
    await forge.addTask({ title: 'T', repo: REPO, body: '' });
    const clone = join(dir, 'c1');
    const { base, baseSha } = await cloneRepo(forge, REPO, clone);
    expect(base).toBe('main');
    expect(baseSha).toBe((await git(['rev-parse', 'HEAD'], { cwd: clone })).trim());
    expect(await forge.branchHead(REPO, 'main')).toBe(baseSha);
    // no template copied: no sample hooks in the clone
    await expect(readFile(join(clone, '.git', 'hooks', 'pre-commit.sample'))).rejects.toThrow();
  });

  it('starts a fresh task at the default branch and publishes its HEAD', async () => {
    const key = await forge.addTask({ title: 'T', repo: REPO, body: '' });
    const clone = join(dir, 'c2');
    const checkout = await checkoutTask(forge, key, clone);
    expect(checkout).toMatchObject({
      branch: taskBranch(key),
      resumed: false,
      base: 'main',
      sourceRef: 'HEAD',
    });
    const commit = await commitIn(clone, 'work.txt');
    expect(await forge.branchHead(REPO, taskBranch(key))).toBeNull();
    const pushed = await forge.pushBranch({
      key,
      branch: taskBranch(key),
      from: clone,
      sourceRef: 'HEAD',
      ...lease,
      fence,
    });
    expect(pushed.commit).toBe(commit);
    expect(await forge.branchHead(REPO, taskBranch(key))).toBe(commit);
    // the default branch did not move
    expect(await forge.branchHead(REPO, 'main')).not.toBe(commit);
  });

  it('continues from the branch an earlier attempt pushed', async () => {
    const key = await forge.addTask({ title: 'T', repo: REPO, body: '' });
    const first = join(dir, 'first');
    await checkoutTask(forge, key, first);
    const earlier = await commitIn(first, 'earlier.txt');
    await forge.pushBranch({ key, branch: taskBranch(key), from: first, sourceRef: 'HEAD', ...lease, fence });

    const second = join(dir, 'second');
    const checkout = await checkoutTask(forge, key, second);
    expect(checkout.resumed).toBe(true);
    expect((await git(['rev-parse', 'HEAD'], { cwd: second })).trim()).toBe(earlier);
    expect(await readFile(join(second, 'earlier.txt'), 'utf8')).toBe('earlier.txt\n');
  });

  it('reads refs from loose files and from packed-refs, and nothing outside the repository', async () => {
    const key = await forge.addTask({ title: 'T', repo: REPO, body: '' });
    const clone = join(dir, 'c3');
    await checkoutTask(forge, key, clone);
    const commit = await commitIn(clone, 'x.txt');
    await forge.pushBranch({ key, branch: taskBranch(key), from: clone, sourceRef: 'HEAD', ...lease, fence });
    const bare = join(dir, 'forge', 'acme', 'app.git');
    expect(await readRefFile(bare, `refs/heads/${taskBranch(key)}`)).toBe(commit);
    await git(['pack-refs', '--all'], { cwd: bare });
    await expect(readFile(join(bare, 'refs', 'heads', ...taskBranch(key).split('/')))).rejects.toThrow();
    expect(await readRefFile(bare, `refs/heads/${taskBranch(key)}`)).toBe(commit);
    expect(await forge.branchHead(REPO, taskBranch(key))).toBe(commit);
    expect(await readRefFile(bare, 'refs/heads/nope')).toBeNull();
    expect(await readRefFile(bare, 'refs/../../HEAD')).toBeNull();
  });
});
