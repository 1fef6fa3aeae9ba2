/**
 * The main job against GitHub and WHOOSH (both as loopback servers speaking their wire
 * formats): a task from a configured repository and one that only WHOOSH lists are both done
 * in sandboxes, each with one pull request, the claim comment and labels on GitHub, and the
 * claim and completion recorded on WHOOSH.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startMainJob } from '../../src/node/main-job.js';
import { FakeGitHub } from '../fakes/github-server.js';
import { startFakeWhoosh } from '../fakes/whoosh-server.js';

const TOKEN = 'ghs_pipelineToken0123456789abcdef';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const steps = (file: string) => `Please add ${file}.\n\n\`\`\`bzzz-steps\necho done > ${file}\n\`\`\`\n`;

describe('the main job on GitHub with WHOOSH', () => {
  it('does configured and WHOOSH-listed tasks, with one PR each, and reports to both', async () => {
    const github = await FakeGitHub.start({ token: TOKEN });
    closers.push(() => github.stop());
    await github.createRepo('octo/app');
    await github.createRepo('octo/tools');
    github.createIssue('octo/app', { title: 'Add a.txt', body: steps('a.txt'), labels: ['bzzz-task'] });
    github.createIssue('octo/tools', { title: 'Add b.txt', body: steps('b.txt'), labels: ['bzzz-task'] });

    const whoosh = await startFakeWhoosh({ apiKey: 'whoosh-key' });
    closers.push(() => whoosh.close());
    whoosh.state.repositories = [
      {
        project_id: 7,
        name: 'tools',
        git_url: `${github.url}/octo/tools.git`,
        owner: 'octo',
        repository: 'tools',
        branch: 'main',
        bzzz_enabled: true,
        ready_to_claim: true,
        private_repo: false,
        github_token_required: false,
      },
    ];
    whoosh.state.tasks = {
      7: [
        {
          number: 1,
          title: 'Add b.txt',
          description: 'from WHOOSH',
          state: 'open',
          labels: ['bzzz-task'],
          is_claimed: false,
          assignees: [],
        },
      ],
    };

    const dir = mkdtempSync(join(tmpdir(), 'bzzz-github-'));
    chmodSync(dir, 0o755);
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_FORGE: 'github',
        BZZZ_REPOS: 'octo/app',
        BZZZ_GITHUB_TOKEN: TOKEN,
        BZZZ_GITHUB_API_URL: github.url,
        BZZZ_WHOOSH_URL: whoosh.url,
        BZZZ_WHOOSH_API_KEY: 'whoosh-key',
        BZZZ_POLL_INTERVAL_MS: '200',
        BZZZ_NODE_NAME: 'gh',
      },
      cwd: dir,
    });
    const job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
    closers.push(() => job.stop());

    const deadline = Date.now() + 90_000;
    while (
      github.pulls('octo/app').length + github.pulls('octo/tools').length < 2 ||
      whoosh.state.statuses.length < 1
    ) {
      if (Date.now() > deadline) throw new Error('tasks not done in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect(github.pulls('octo/app')).toHaveLength(1);
    expect(github.pulls('octo/tools')).toHaveLength(1);
    // the PR body closes its issue, and says so once (the task and the forge each added it)
    for (const pull of [...github.pulls('octo/app'), ...github.pulls('octo/tools')])
      expect(pull.body.match(/Closes #\d+/g)).toEqual(['Closes #1']);
    expect(github.branchSha('octo/app', 'bzzz/task-1')).toBeTruthy();
    const issue = github.issue('octo/app', 1);
    expect(issue.labels).toContain('bzzz-done');
    expect(issue.comments.some((c) => c.includes('gh'))).toBe(true);
    // the claim was recorded (the fake forgets it once the task is completed)
    const claim = whoosh.requests.findIndex(
      (r) => r.method === 'POST' && r.path === '/api/bzzz/projects/7/claim',
    );
    const status = whoosh.requests.findIndex(
      (r) => r.method === 'PUT' && r.path === '/api/bzzz/projects/7/status',
    );
    expect(claim).toBeGreaterThanOrEqual(0);
    expect(status).toBeGreaterThan(claim);
    expect(whoosh.requests[claim]!.authorization).toBe('Bearer whoosh-key');
    expect(whoosh.state.statuses).toEqual([expect.objectContaining({ projectId: 7 })]);
    expect(JSON.stringify(whoosh.state.statuses[0]!.body)).toContain('completed');
  }, 120_000);
});
