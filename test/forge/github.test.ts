/** The forge compliance suite against the github forge talking to the GitHub-shaped loopback server. */
import { describe, expect, it } from 'vitest';
import { GitHubForge } from '../../src/adapters/forge/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { parseTaskKey } from '../../src/protocol/task-key.js';
import { forgeCompliance } from '../compliance/forge.js';
import { FakeGitHub } from '../fakes/github-server.js';

const TOKEN = 'ghs_fakeTokenForTests0123456789';

forgeCompliance(
  'github',
  async () => {
    const fake = await FakeGitHub.start({ token: TOKEN });
    const repos = ['acme/widgets', 'acme/other'];
    for (const r of repos) await fake.createRepo(r);
    const forge = new GitHubForge(
      { token: TOKEN, apiUrl: fake.url, repos, writeIntervalMs: 0, retryBaseMs: 1 },
      { logger: silentLogger(), clock: systemClock },
    );
    return {
      forge,
      addTask: async (input) => {
        const number = fake.createIssue(input.repo, {
          title: input.title,
          body: input.body,
          labels: ['bzzz-task', ...(input.labels ?? [])],
        });
        return `github:${input.repo}#${number}`;
      },
      comments: async (key) => {
        const ref = parseTaskKey(key);
        return [...fake.issue(`${ref.owner}/${ref.repo}`, ref.number).comments];
      },
      remoteBranch: (repo, branch) => fake.branchSha(repo, branch),
      pullCount: async (repo) => fake.pulls(repo).length,
      addClosedPull: (repo, branch) => fake.addPull(repo, branch, 'closed'),
      close: () => fake.stop(),
    };
  },
  { checksTokens: false },
);

describe('github forge: create_task', () => {
  it('creates issues only in watched repositories, and says which to name when it watches several', async () => {
    const fake = await FakeGitHub.start({ token: TOKEN });
    try {
      for (const r of ['acme/widgets', 'acme/other', 'acme/unwatched']) await fake.createRepo(r);
      const make = (repos: string[]) =>
        new GitHubForge(
          { token: TOKEN, apiUrl: fake.url, repos, writeIntervalMs: 0, retryBaseMs: 1 },
          { logger: silentLogger(), clock: systemClock },
        );
      const two = make(['acme/widgets', 'acme/other']);
      await expect(two.createTask({ title: 't' })).rejects.toThrow(
        'name the repository: this node watches acme/widgets, acme/other',
      );
      await expect(two.createTask({ title: 't', repo: 'acme/unwatched' })).rejects.toThrow(
        'acme/unwatched is not a repository this node watches',
      );
      expect(() => fake.issue('acme/unwatched', 1)).toThrow('no issue');
      // one watched repository: the one a task without a repository goes to
      const key = await make(['acme/other']).createTask({ title: 'Only one', labels: ['docs'] });
      expect(key).toBe('github:acme/other#1');
      expect(fake.issue('acme/other', 1)).toMatchObject({ title: 'Only one', labels: ['bzzz-task', 'docs'] });
      // none watched of its own (WHOOSH lists the repositories): the one named, which must be named
      const none = make([]);
      await expect(none.createTask({ title: 't' })).rejects.toThrow('name the repository (OWNER/NAME)');
      expect(await none.createTask({ title: 'Named', repo: 'acme/unwatched' })).toBe(
        'github:acme/unwatched#1',
      );
    } finally {
      await fake.stop();
    }
  });
});
