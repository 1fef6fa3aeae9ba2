/**
 * `bzzz task list --history` against a data dir's `history.db` (JSON and the table, its
 * filters, a data dir with no history yet), against a PostgreSQL that is not there (one clear
 * line, exit 1, no password), and `bzzz config print` showing `database_url` without its
 * password.
 */
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUsageStore } from '../../src/adapters/usage/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { taskOutcome } from '../compliance/usage.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/nats-server.js';

function dataDir(): { dir: string; env: { BZZZ_DATA_DIR: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-history-cli-'));
  chmodSync(dir, 0o755);
  return { dir, env: { BZZZ_DATA_DIR: join(dir, 'data') } };
}

describe('bzzz task list --history', () => {
  it(
    'lists the outcomes kept in the data dir, newest first, with filters',
    { timeout: 180_000 },
    async () => {
      const { dir, env } = dataDir();
      const outcomes = [
        taskOutcome({ key: 'local:demo/app#1', endedAt: 1_700_000_060_000 }),
        taskOutcome({
          key: 'local:demo/app#2',
          state: 'failed',
          pr: null,
          reason: 'failed: exit 2',
          endedAt: 1_700_000_070_000,
        }),
        taskOutcome({ key: 'local:other/lib#3', repo: 'other/lib', endedAt: 1_700_000_080_000 }),
      ];
      const store = createUsageStore(
        { backend: 'sqlite', path: join(env.BZZZ_DATA_DIR, 'history.db') },
        { logger: silentLogger(), clock: systemClock },
      );
      await store.start();
      for (const outcome of outcomes) await store.recordTask(outcome);
      await store.stop();

      const json = await runCli(['task', 'list', '--history', '--json'], env, dir);
      expect(json.stderr).toBe('');
      expect(JSON.parse(json.stdout)).toEqual([...outcomes].reverse());
      const failed = await runCli(['task', 'list', '--history', '--json', '--state', 'failed'], env, dir);
      expect((JSON.parse(failed.stdout) as { key: string }[]).map((t) => t.key)).toEqual([
        'local:demo/app#2',
      ]);
      const repo = await runCli(
        ['task', 'list', '--history', '--json', '--repo', 'demo/app', '--limit', '1'],
        env,
        dir,
      );
      expect((JSON.parse(repo.stdout) as { key: string }[]).map((t) => t.key)).toEqual(['local:demo/app#2']);

      const table = await runCli(['task', 'list', '--history'], env, dir);
      expect(table.code).toBe(0);
      const lines = table.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ENDED\s+KEY\s+STATE\s+HOLDER\s+ROUNDS\s+TOKENS\s+COST_USD\s+PR$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 3))).toEqual([
        ['local:other/lib#3', 'done'],
        ['local:demo/app#2', 'failed'],
        ['local:demo/app#1', 'done'],
      ]);
      expect(lines[2]).toContain('failed: exit 2');
      expect(lines[3]).toMatch(
        /\sagent-1\s+3\s+1540\s+0\.012346\s+https:\/\/forge\.example\/demo\/app\/pulls\/7$/,
      );

      const bad = await runCli(['task', 'list', '--history', '--state', 'skipped'], env, dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--state must be one of done, failed, escalated, lost, stopped');
    },
  );

  it(
    'says there is no history yet on a fresh data dir, and creates nothing',
    { timeout: 120_000 },
    async () => {
      const { dir, env } = dataDir();
      const result = await runCli(['task', 'list', '--history'], env, dir);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('no task history yet');
      expect((await runCli(['task', 'list', '--history', '--json'], env, dir)).stdout.trim()).toBe('[]');
      expect(existsSync(join(env.BZZZ_DATA_DIR, 'history.db'))).toBe(false);
    },
  );

  it('a PostgreSQL that is not there is one clear line and exit 1, without the password', async () => {
    const { dir, env } = dataDir();
    const port = await freePort();
    const password = 'Very-S3cret-pa55';
    const url = `postgres://bzzz:${password}@127.0.0.1:${port}/bzzz`;
    const result = await runCli(['task', 'list', '--history'], { ...env, BZZZ_DATABASE_URL: url }, dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^bzzz task: UsageStoreUnavailableError: usage store postgres://bzzz:\\*\\*\\*@127\\.0\\.0\\.1:${port}/bzzz: database unreachable: .*ECONNREFUSED`,
        ),
      ),
    ]);
    expect(result.stderr).not.toContain(password);
  });
});

describe('database_url in the configuration', () => {
  it(
    'is printed without its password, and a bad one names the key without echoing it',
    { timeout: 120_000 },
    async () => {
      const { dir } = dataDir();
      const url = 'postgresql://bzzz:Pr1vate-pw@db.example:5433/bzzz?sslmode=require';
      const printed = await runCli(['config', 'print', '--json'], { BZZZ_DATABASE_URL: url }, dir);
      expect(printed.code).toBe(0);
      expect((JSON.parse(printed.stdout) as { database_url: string }).database_url).toBe(
        'postgresql://bzzz:***@db.example:5433/bzzz?sslmode=require',
      );
      expect(printed.stdout).not.toContain('Pr1vate-pw');
      const bad = await runCli(
        ['config', 'print'],
        { BZZZ_DATABASE_URL: 'mysql://root:Pr1vate-pw@db/x' },
        dir,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('database_url (BZZZ_DATABASE_URL): a postgres:// or postgresql:// URL');
      expect(bad.stderr).not.toContain('Pr1vate-pw');
    },
  );
});
