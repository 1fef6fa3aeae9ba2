/**
 * The forge compliance suite: the same tests run unchanged against every forge (`local`, and
 * `github` against the GitHub-shaped loopback server). A harness gives the suite what only
 * the forge's owner can see (comments, the remote's branches) and a way to add tasks.
 */
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ForbiddenBranchError,
  StalePushError,
  StaleTokenError,
  TaskFinishedError,
  TaskNotFoundError,
  taskBranch,
  type Fence,
  type Forge,
} from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import type { TaskKey } from '../../src/protocol/task-key.js';

export interface ForgeHarness {
  forge: Forge;
  /** Adds an issue labelled `bzzz-task` (and `labels`), creating the repository if needed. */
  addTask(input: { repo: string; title: string; body?: string; labels?: string[] }): Promise<TaskKey>;
  /** Comment bodies of the task, as the forge stores them. */
  comments(key: TaskKey): Promise<string[]>;
  /** The commit a branch points at on the forge's remote, or null. */
  remoteBranch(repo: string, branch: string): Promise<string | null>;
  /** Pull requests the forge holds for a repository. */
  pullCount(repo: string): Promise<number>;
  /** Adds a closed pull request from `branch` behind the forge's back (as a human could). */
  addClosedPull(repo: string, branch: string): Promise<number>;
  close(): Promise<void>;
}

export type ForgeFactory = () => Promise<ForgeHarness>;

const REPO = 'acme/widgets';

/** A lease that holds. */
const held: Fence = async () => undefined;

/** The token and holder of the lease the effects of a test are made under. */
const T = { token: 1, holder: 'agent-1' } as const;

class FakeLeaseLost extends Error {
  override readonly name = 'LeaseLostError';
}

/** A lease that was lost: every fenced effect must stop. */
function lost(): Fence & { calls: number } {
  const fence = Object.assign(
    async () => {
      fence.calls++;
      throw new FakeLeaseLost('lease lost');
    },
    { calls: 0 },
  );
  return fence;
}

/** What a forge can do beyond the port's common contract. */
export interface ForgeCapabilities {
  /** The forge itself checks each effect's fencing token (the local forge; GitHub cannot). */
  checksTokens: boolean;
}

export function forgeCompliance(name: string, factory: ForgeFactory, capabilities: ForgeCapabilities): void {
  describe(`forge compliance: ${name}`, () => {
    let h: ForgeHarness;
    let work: string;

    beforeEach(async () => {
      h = await factory();
      work = await mkdtemp(join(tmpdir(), 'bzzz-forge-work-'));
    });
    afterEach(async () => {
      await h.close();
      await rm(work, { recursive: true, force: true });
    });

    /** Clones the task's repository and commits one file on the task branch. */
    async function workOn(key: TaskKey, content = 'hello\n'): Promise<{ dir: string; commit: string }> {
      const dir = join(work, `clone-${Math.random().toString(36).slice(2)}`);
      await git(['clone', '--quiet', await h.forge.cloneUrl(REPO), dir]);
      await git(['checkout', '--quiet', '-b', taskBranch(key)], { cwd: dir });
      await writeFile(join(dir, 'NOTE.md'), content);
      await git(['add', 'NOTE.md'], { cwd: dir });
      await git(['commit', '--quiet', '-m', 'work'], { cwd: dir });
      return { dir, commit: (await git(['rev-parse', 'HEAD'], { cwd: dir })).trim() };
    }

    it('lists open tasks with key, title, body and labels, per repository', async () => {
      const a = await h.addTask({ repo: REPO, title: 'Add a file', body: 'please', labels: ['docs'] });
      const b = await h.addTask({ repo: 'acme/other', title: 'Fix a typo' });
      expect(a).toMatch(new RegExp(`^${h.forge.kind}:acme/widgets#[0-9]+$`));
      const all = await h.forge.listOpenTasks();
      expect(all.map((t) => t.key).sort()).toEqual([a, b].sort());
      const mine = await h.forge.listOpenTasks(REPO);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        key: a,
        repo: REPO,
        title: 'Add a file',
        body: 'please',
        state: 'open',
      });
      expect(mine[0]!.labels).toEqual(expect.arrayContaining(['bzzz-task', 'docs']));
      expect(await h.forge.getTask(b)).toMatchObject({ title: 'Fix a typo', repo: 'acme/other' });
    });

    it('creates a task: an open issue with the task label and the labels asked for', async () => {
      expect(typeof h.forge.createTask).toBe('function');
      const key = await h.forge.createTask!({
        title: 'Made here',
        body: 'from a tool',
        repo: REPO,
        labels: ['docs'],
      });
      expect(key).toMatch(new RegExp(`^${h.forge.kind}:acme/widgets#[0-9]+$`));
      const task = await h.forge.getTask(key);
      expect(task).toMatchObject({ key, title: 'Made here', body: 'from a tool' });
      expect(task.labels).toEqual(expect.arrayContaining(['bzzz-task', 'docs']));
      expect((await h.forge.listOpenTasks(REPO)).map((t) => t.key)).toContain(key);
      // each call is a new issue, numbered on
      const next = await h.forge.createTask!({ title: 'Another', repo: REPO });
      expect(next).not.toBe(key);
      expect((await h.forge.getTask(next)).body).toBe('');
    });

    it('says which task is unknown', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const missing = key.replace(/#\d+$/, '#999');
      await expect(h.forge.getTask(missing)).rejects.toBeInstanceOf(TaskNotFoundError);
      const otherForge = key.replace(/^[a-z]+:/, h.forge.kind === 'local' ? 'github:' : 'local:');
      await expect(h.forge.getTask(otherForge)).rejects.toBeInstanceOf(TaskNotFoundError);
    });

    it('lists repositories with a clone URL that clones and holds no credential', async () => {
      await h.addTask({ repo: REPO, title: 't' });
      const repos = await h.forge.listRepos();
      const repo = repos.find((r) => r.name === REPO);
      expect(repo?.defaultBranch).toBe('main');
      expect(repo?.cloneUrl).not.toMatch(/@|token/i);
      const dir = join(work, 'plain-clone');
      await git(['clone', '--quiet', repo!.cloneUrl, dir]);
      expect((await git(['log', '--format=%s', '-1'], { cwd: dir })).trim()).not.toBe('');
    });

    it('marks a claim: in-progress label, a comment naming the agent, the holder in the record', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      expect((await h.forge.taskRecord(key)).state).toBe('discovered');
      await h.forge.markClaimed(key, { agent: 'agent-7', token: 42, holder: 'agent-1', fence: held });
      expect((await h.forge.getTask(key)).labels).toContain('in-progress');
      expect((await h.comments(key)).join('\n')).toContain('agent-7');
      expect(await h.forge.taskRecord(key)).toMatchObject({
        key,
        holder: 'agent-7',
        state: 'claimed',
        pr: null,
        prs: [],
      });
    });

    it('a lost lease stops the claim marker before any effect', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const fence = lost();
      await expect(
        h.forge.markClaimed(key, { agent: 'a', token: 1, holder: 'agent-1', fence }),
      ).rejects.toBeInstanceOf(FakeLeaseLost);
      expect(fence.calls).toBe(1);
      expect(await h.comments(key)).toEqual([]);
      expect((await h.forge.getTask(key)).labels).not.toContain('in-progress');
    });

    it('pushes bzzz/task-N from a work clone', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir, commit } = await workOn(key);
      const pushed = await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      expect(pushed).toEqual({ branch: taskBranch(key), commit });
      expect(await h.remoteBranch(REPO, taskBranch(key))).toBe(commit);
      // A re-run after a crash pushes its own work again over the branch.
      const again = await workOn(key, 'second try\n');
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: again.dir, ...T, fence: held });
      expect(await h.remoteBranch(REPO, taskBranch(key))).toBe(again.commit);
    });

    it('refuses to push any branch outside bzzz/, before any effect', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir } = await workOn(key);
      const main = await h.remoteBranch(REPO, 'main');
      for (const branch of ['main', 'feature/x', 'bzzz', 'bzzz/../main', '-bzzz/x', 'bzzz/x.lock']) {
        const fence = lost();
        await expect(
          h.forge.pushBranch({ key, branch, from: dir, sourceRef: 'HEAD', ...T, fence }),
        ).rejects.toBeInstanceOf(ForbiddenBranchError);
        expect(fence.calls).toBe(0);
      }
      expect(await h.remoteBranch(REPO, 'main')).toBe(main);
      expect(await h.remoteBranch(REPO, 'feature/x')).toBeNull();
    });

    it('a lost lease pushes nothing', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir } = await workOn(key);
      await expect(
        h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: lost() }),
      ).rejects.toBeInstanceOf(FakeLeaseLost);
      expect(await h.remoteBranch(REPO, taskBranch(key))).toBeNull();
    });

    it("ignores the work clone's config and hooks when pushing", async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir, commit } = await workOn(key);
      const remote = await h.forge.cloneUrl(REPO);
      // What a hostile command in the sandbox could write: redirect the remote, run a hook.
      await git(['config', `url.http://127.0.0.1:9/stolen/.insteadOf`, remote], { cwd: dir });
      await git(['config', 'url.http://127.0.0.1:9/stolen/.pushInsteadOf', remote], { cwd: dir });
      const marker = join(work, 'hook-ran');
      await writeFile(join(dir, '.git', 'hooks', 'pre-push'), `#!/bin/sh\ntouch ${marker}\n`, {
        mode: 0o755,
      });
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      expect(await h.remoteBranch(REPO, taskBranch(key))).toBe(commit);
      await expect(access(marker)).rejects.toThrow();
    });

    it('opens one pull request per task, however often it is asked', async () => {
      const key = await h.addTask({ repo: REPO, title: 'Add a file' });
      const { dir, commit } = await workOn(key);
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      const first = await h.forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 'Add a file',
        body: 'done',
        ...T,
        fence: held,
      });
      expect(first.created).toBe(true);
      expect(first.pr).toMatchObject({ head: taskBranch(key), base: 'main', state: 'open', repo: REPO });
      expect(first.pr.headSha).toBe(commit);
      const second = await h.forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 'Add a file',
        body: 'again',
        ...T,
        fence: held,
      });
      expect(second.created).toBe(false);
      expect(second.pr.number).toBe(first.pr.number);
      expect(await h.pullCount(REPO)).toBe(1);
      expect((await h.forge.findPullRequest({ key }))?.number).toBe(first.pr.number);
      expect((await h.forge.findPullRequest({ repo: REPO, branch: taskBranch(key) }))?.number).toBe(
        first.pr.number,
      );
      expect(await h.forge.listPullRequests(key)).toHaveLength(1);
      const record = await h.forge.taskRecord(key);
      expect(record).toMatchObject({
        branch: taskBranch(key),
        state: 'publishing',
        pr: { number: first.pr.number, state: 'open' },
      });
      expect(record.prs.map((p) => p.number)).toEqual([first.pr.number]);
    });

    it('a lost lease opens no pull request', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir } = await workOn(key);
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      await expect(
        h.forge.openPullRequest({ key, branch: taskBranch(key), title: 't', body: 'b', ...T, fence: lost() }),
      ).rejects.toBeInstanceOf(FakeLeaseLost);
      expect(await h.pullCount(REPO)).toBe(0);
      expect(await h.forge.findPullRequest({ key })).toBeNull();
    });

    it('reports completion: comment with the summary, done, no longer open', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const other = await h.addTask({ repo: REPO, title: 'still open' });
      await h.forge.markClaimed(key, { agent: 'agent-1', ...T, fence: held });
      const { dir } = await workOn(key);
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      const { pr } = await h.forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 't',
        body: 'b',
        ...T,
        fence: held,
      });
      await h.forge.reportComplete(key, {
        agent: 'agent-1',
        summary: 'Added NOTE.md',
        pr: pr.number,
        ...T,
        fence: held,
      });
      expect((await h.comments(key)).at(-1)).toContain('Added NOTE.md');
      expect((await h.forge.getTask(key)).labels).not.toContain('in-progress');
      expect((await h.forge.listOpenTasks()).map((t) => t.key)).toEqual([other]);
      const records = await h.forge.taskRecords();
      expect(records.find((r) => r.key === key)).toMatchObject({
        state: 'done',
        holder: 'agent-1',
        prs: [{ number: pr.number }],
      });
      expect(records.find((r) => r.key === other)).toMatchObject({
        state: 'discovered',
        holder: null,
        branch: null,
        pr: null,
        prs: [],
      });
    });

    it('reports failure and escalation with their own states', async () => {
      const failed = await h.addTask({ repo: REPO, title: 'f' });
      const escalated = await h.addTask({ repo: REPO, title: 'e' });
      await h.forge.reportComplete(failed, {
        agent: 'a',
        summary: 'step 2 exited 1',
        outcome: 'failed',
        ...T,
        fence: held,
      });
      await h.forge.reportComplete(escalated, {
        agent: 'a',
        summary: 'need a human',
        outcome: 'escalated',
        ...T,
        fence: held,
      });
      expect((await h.forge.taskRecord(failed)).state).toBe('failed');
      expect((await h.forge.taskRecord(escalated)).state).toBe('escalated');
      expect(await h.forge.listOpenTasks()).toEqual([]);
    });

    it('a lost lease reports nothing', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      await expect(
        h.forge.reportComplete(key, { agent: 'a', summary: 's', ...T, fence: lost() }),
      ).rejects.toBeInstanceOf(FakeLeaseLost);
      expect(await h.comments(key)).toEqual([]);
      expect((await h.forge.listOpenTasks()).map((t) => t.key)).toEqual([key]);
    });

    it('refuses to mark a finished task claimed: its outcome stays, its labels and comments too', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      await h.forge.markClaimed(key, { agent: 'agent-1', ...T, fence: held });
      await h.forge.reportComplete(key, { agent: 'agent-1', summary: 'done early', ...T, fence: held });
      const comments = (await h.comments(key)).length;
      const labels = (await h.forge.getTask(key)).labels;
      // the next holder's lease came after the outcome: its token is higher, the task is still finished
      const next = { token: T.token + 1, holder: 'agent-2' };
      await expect(
        h.forge.markClaimed(key, { agent: 'agent-2', ...next, fence: held }),
      ).rejects.toBeInstanceOf(TaskFinishedError);
      expect((await h.comments(key)).length).toBe(comments);
      expect((await h.forge.getTask(key)).labels).toEqual(labels);
      expect((await h.forge.getTask(key)).labels).not.toContain('in-progress');
      expect(await h.forge.listOpenTasks()).toEqual([]);
      expect((await h.forge.taskRecord(key)).state).toBe('done');
    });

    it('prs shows every pull request ever opened for the task', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir } = await workOn(key);
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      const { pr } = await h.forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 't',
        body: 'b',
        ...T,
        fence: held,
      });
      let record = (await h.forge.taskRecords(REPO)).find((r) => r.key === key);
      expect(record?.prs).toEqual([{ number: pr.number, url: pr.url, state: 'open' }]);
      const extra = await h.addClosedPull(REPO, taskBranch(key));
      record = (await h.forge.taskRecords(REPO)).find((r) => r.key === key);
      expect(record?.prs.map((p) => p.number).sort((a, b) => a - b)).toEqual(
        [pr.number, extra].sort((a, b) => a - b),
      );
      expect(record?.pr?.number).toBe(pr.number);
      // Still idempotent: the open one is returned, nothing new is opened.
      const again = await h.forge.openPullRequest({
        key,
        branch: taskBranch(key),
        title: 't',
        body: 'b',
        ...T,
        fence: held,
      });
      expect(again).toMatchObject({ created: false, pr: { number: pr.number } });
      expect(await h.pullCount(REPO)).toBe(2);
    });
    it("a stale holder's push is refused once the new holder pushed (the forge's compare-and-swap)", async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const branch = taskBranch(key);
      // both holders read the head when they won their lease: absent
      const old = await h.forge.branchLease(key);
      expect(old).toEqual({ head: null });
      const fresh = await h.forge.branchLease(key);
      const mine = await workOn(key, 'the new holder\n');
      await h.forge.pushBranch({
        key,
        branch,
        from: mine.dir,
        token: 2,
        holder: 'b',
        fence: held,
        expectedHead: fresh.head,
      });
      expect(await h.forge.branchLease(key)).toEqual({ head: mine.commit });
      const stale = await workOn(key, 'the paused holder\n');
      const refused = await h.forge
        .pushBranch({
          key,
          branch,
          from: stale.dir,
          token: 1,
          holder: 'a',
          fence: held,
          expectedHead: old.head,
        })
        .catch((e: unknown) => e);
      // the local forge refuses the token first; GitHub's server refuses the lease
      expect(refused).toBeInstanceOf(h.forge.kind === 'local' ? StaleTokenError : StalePushError);
      expect(await h.remoteBranch(REPO, branch)).toBe(mine.commit);
      // the rightful holder's own push under a moved head is refused too, then goes through
      // once it has read the head again
      const next = await workOn(key, 'second push\n');
      const moved = { key, branch, from: next.dir, token: 2, holder: 'b', fence: held };
      await expect(h.forge.pushBranch({ ...moved, expectedHead: null })).rejects.toBeInstanceOf(
        StalePushError,
      );
      const head = (await h.forge.branchLease(key)).head;
      await h.forge.pushBranch({ ...moved, expectedHead: head });
      expect(await h.remoteBranch(REPO, branch)).toBe(next.commit);
    });

    it('a second pull request for one head is "found", also when both are asked at once', async () => {
      const key = await h.addTask({ repo: REPO, title: 't' });
      const { dir } = await workOn(key);
      await h.forge.pushBranch({ key, branch: taskBranch(key), from: dir, ...T, fence: held });
      const ask = () =>
        h.forge.openPullRequest({ key, branch: taskBranch(key), title: 't', body: 'b', ...T, fence: held });
      const results = await Promise.all([ask(), ask(), ask()]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.pr.number)).size).toBe(1);
      expect(await h.pullCount(REPO)).toBe(1);
    });

    // registered only for a forge that checks tokens itself (GitHub's own check is the push's compare-and-swap)
    const itChecksTokens = capabilities.checksTokens ? it : undefined;
    itChecksTokens?.(
      'refuses a stale token: push, comment and pull request, and logs what it applied',
      async () => {
        const key = await h.addTask({ repo: REPO, title: 't' });
        const branch = taskBranch(key);
        const stale = { token: 4, holder: 'agent-old', fence: held };
        const fresh = { token: 5, holder: 'agent-new', fence: held };
        await h.forge.markClaimed(key, { agent: 'agent-old', ...stale });
        await h.forge.markClaimed(key, { agent: 'agent-new', ...fresh });
        const { dir, commit } = await workOn(key);
        const claim = h.forge.markClaimed(key, { agent: 'agent-old', ...stale });
        await expect(claim).rejects.toBeInstanceOf(StaleTokenError);
        const report = h.forge.reportComplete(key, { agent: 'agent-old', summary: 's', ...stale });
        await expect(report).rejects.toMatchObject({
          name: 'StaleTokenError',
          effect: 'report',
          token: 4,
          highest: 5,
        });
        await expect(h.forge.pushBranch({ key, branch, from: dir, ...stale })).rejects.toMatchObject({
          name: 'StaleTokenError',
          effect: 'push',
          retryable: false,
        });
        expect(await h.remoteBranch(REPO, branch)).toBeNull();
        await h.forge.pushBranch({ key, branch, from: dir, ...fresh });
        const pr = h.forge.openPullRequest({ key, branch, title: 't', body: 'b', ...stale });
        await expect(pr).rejects.toBeInstanceOf(StaleTokenError);
        expect(await h.pullCount(REPO)).toBe(0);
        await h.forge.openPullRequest({ key, branch, title: 't', body: 'b', ...fresh });
        expect((await h.comments(key)).filter((c) => c.includes('agent-old'))).toHaveLength(1);
        const { effects } = await h.forge.taskRecord(key);
        expect(effects?.map(({ effect, token, holder, sha }) => ({ effect, token, holder, sha }))).toEqual([
          { effect: 'claim', token: 4, holder: 'agent-old', sha: undefined },
          { effect: 'claim', token: 5, holder: 'agent-new', sha: undefined },
          { effect: 'push', token: 5, holder: 'agent-new', sha: commit },
          { effect: 'pull-request', token: 5, holder: 'agent-new', sha: undefined },
        ]);
        expect(effects?.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
      },
    );
  });
}
