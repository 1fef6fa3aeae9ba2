/**
 * `bzzz up --once` on a fresh data dir: the example tasks are seeded, done by the agents in
 * sandboxes, each with exactly one pull request on its own `bzzz/` branch; exit 0. A second
 * run seeds nothing new and opens no second pull request.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../../src/adapters/forge/git.js';
import { runCli } from '../helpers/cli.js';

describe('bzzz up --once', () => {
  it('finishes the example tasks with one PR each, and a second run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-up-'));
    chmodSync(dir, 0o755);
    const env = { BZZZ_DATA_DIR: join(dir, 'data'), BZZZ_HTTP_PORT: '0', BZZZ_SANDBOX: 'bwrap' };
    const first = await runCli(['up', '--once'], env, dir);
    expect(first.stderr).toContain('seeded 3 task(s)');
    expect(first.code).toBe(0);
    const rows = first.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatch(/^local:demo\/calc#\d+\s+done\s+\S+\s+file:\S+pulls\/\d+\.json\s+1$/);

    const bare = join(dir, 'data', 'forge', 'demo', 'calc.git');
    const fixed = await git(['show', 'bzzz/task-2:calc.sh'], { cwd: bare });
    expect(fixed).toContain('$(($1 + $2))');
    const readme = await git(['show', 'bzzz/task-1:README.md'], { cwd: bare });
    expect(readme).toContain('should receive two numbers');
    expect(await git(['show', 'main:README.md'], { cwd: bare })).toContain('recieve');

    const second = await runCli(['up', '--once'], env, dir);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('seeded');
    const list = await runCli(['task', 'list', '--json'], env, dir);
    const tasks = JSON.parse(list.stdout) as { key: string; state: string; prs: unknown[] }[];
    expect(tasks.map((t) => [t.state, t.prs.length])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
  }, 180_000);
});
