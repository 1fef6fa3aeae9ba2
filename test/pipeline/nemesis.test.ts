/**
 * Three agents in one process race for 50 tasks while a nemesis crashes task actors at
 * random points (an abnormal exit, as Erlang's exit/2): every task ends done, with exactly one
 * pull request and one branch each, no effect applied after one with a newer token, and no
 * sandbox is left behind. A crashed task actor's replacement continues its predecessor's lease.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { allTaskRecords, startMainJob, type MainJob } from '../../src/node/main-job.js';

const TASKS = 50;
const KILLS = 40;

let job: MainJob | undefined;
afterAll(async () => {
  await job?.stop();
});

describe('the main job under a nemesis', () => {
  it('finishes every task with exactly one PR and one branch while task actors crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-nemesis-'));
    chmodSync(dir, 0o755); // bwrap runs commands as uid 1000, which must reach the work dirs
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_POLL_INTERVAL_MS: '100',
        BZZZ_LEASE_TTL_MS: '3000',
        BZZZ_NODE_NAME: 'nem',
      },
      cwd: dir,
    });
    const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
    for (let i = 1; i <= TASKS; i++) {
      await forge.addTask({
        title: `Write file ${i}`,
        repo: 'demo/many',
        body: `Write a file.\n\n\`\`\`bzzz-steps\necho ${i} > file-${i}.txt\nsleep 0.0$((${i} % 10))\ntest -s file-${i}.txt\n\`\`\`\n`,
      });
    }
    job = await startMainJob(config, { agents: 3, logger: silentLogger(), clock: systemClock });
    const system = job.node.system;

    let kills = 0;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const records = await allTaskRecords(job.pipeline);
      if (records.every((r) => r.state === 'done')) break;
      if (Date.now() > deadline)
        throw new Error(
          `not done in time: ${records
            .filter((r) => r.state !== 'done')
            .map((r) => `${r.key}:${r.state}`)
            .join(', ')}`,
        );
      if (kills < KILLS) {
        const running = system.paths().filter((p) => p.includes('/tasks/task-'));
        const victim = running[Math.floor(Math.random() * running.length)];
        if (victim !== undefined && system.exit(victim, new Error('nemesis'))) kills++;
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    }
    expect(kills).toBeGreaterThanOrEqual(10);

    const records = await allTaskRecords(job.pipeline);
    expect(records).toHaveLength(TASKS);
    for (const record of records) {
      expect(record.state, record.key).toBe('done');
      expect(record.prs, record.key).toHaveLength(1);
      // the forge applied no effect after one with a newer token
      const tokens = (record.effects ?? []).map((e) => e.token);
      expect(tokens, record.key).toEqual([...tokens].sort((a, b) => a - b));
    }
    const branches = (
      await git(['branch', '--list', 'bzzz/*', '--format=%(refname:short)'], {
        cwd: join(dir, 'forge', 'demo', 'many.git'),
      })
    )
      .trim()
      .split('\n');
    expect(new Set(branches).size).toBe(TASKS);
    const heads = await git(['for-each-ref', '--format=%(refname)', 'refs/heads'], {
      cwd: join(dir, 'forge', 'demo', 'many.git'),
    });
    expect(
      heads
        .split('\n')
        .filter(
          (h) => h.startsWith('refs/heads/') && !h.startsWith('refs/heads/bzzz/') && h !== 'refs/heads/main',
        ),
    ).toEqual([]);
    // each branch holds its own file, so the work really ran
    const files = await git(['show', '--name-only', '--format=', 'bzzz/task-7'], {
      cwd: join(dir, 'forge', 'demo', 'many.git'),
    });
    expect(files.trim()).toBe('file-7.txt');
    await job.stop();
    job = undefined;
    expect(await readdir(join(dir, 'sandboxes')).catch(() => [])).toEqual([]);
  }, 300_000);

  it("a crashed task actor's replacement continues its lease (same holder and token) and finishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-successor-'));
    chmodSync(dir, 0o755);
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_POLL_INTERVAL_MS: '100',
        // far longer than the test may take: a replacement that waited for the lease to expire
        // (ending `skipped`) would never finish in time
        BZZZ_LEASE_TTL_MS: '600000',
        BZZZ_NODE_NAME: 'succ',
      },
      cwd: dir,
    });
    const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
    const key = await forge.addTask({
      title: 'Write a file slowly',
      repo: 'demo/one',
      body: 'Write a file.\n\n```bzzz-steps\nsleep 1\necho hi > hi.txt\nsleep 1\ntest -s hi.txt\n```\n',
    });
    job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
    const system = job.node.system;
    const deadline = Date.now() + 120_000;
    const until = async (what: string, done: () => Promise<boolean>): Promise<void> => {
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until('the claim', async () => ((await forge.taskRecord(key)).effects ?? []).length > 0);
    let victim: string | undefined;
    await until('the task actor', async () => {
      victim = system.paths().find((p) => p.includes('/tasks/task-'));
      return victim !== undefined;
    });
    expect(system.exit(victim!, new Error('nemesis'))).toBe(true);
    await until('done', async () => (await forge.taskRecord(key)).state === 'done');
    const { effects = [], prs } = await forge.taskRecord(key);
    expect(prs).toHaveLength(1);
    const first = effects[0]!;
    expect(effects.filter((e) => e.effect === 'claim').length).toBeGreaterThanOrEqual(2);
    for (const e of effects)
      expect({ token: e.token, holder: e.holder }).toEqual({ token: first.token, holder: first.holder });
    expect(effects.map((e) => e.effect)).toEqual(expect.arrayContaining(['push', 'pull-request', 'report']));
    await job.stop();
    job = undefined;
  }, 180_000);
});
