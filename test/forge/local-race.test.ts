/**
 * Several processes share one local forge directory and race: adding tasks to a repository
 * none of them has seen (so they also race to create it), opening the pull request of one
 * task, and adding one repository. Numbers never collide, one pull request is opened, one
 * repository add wins.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LocalForge, taskBranch } from '../../src/adapters/forge/index.js';
import { git } from '../../src/adapters/forge/git.js';
import { parseTaskKey } from '../../src/protocol/task-key.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

const WORKER = fileURLToPath(new URL('./race-worker.ts', import.meta.url));
const PROCESSES = 6;
const TASKS_EACH = 8;

interface WorkerResult {
  keys: string[];
  pr: { number: number; created: boolean };
  added: string;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-forge-race-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('stays consistent when several processes race on one forge directory', async () => {
  const forgeDir = join(dir, 'forge');
  const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
  const shared = await forge.addTask({ repo: 'race/shared', title: 'shared' });
  const clone = join(dir, 'clone');
  await git(['clone', '--quiet', await forge.cloneUrl('race/shared'), clone]);
  await git(['checkout', '--quiet', '-b', taskBranch(shared)], { cwd: clone });
  await writeFile(join(clone, 'f.txt'), 'f\n');
  await git(['add', 'f.txt'], { cwd: clone });
  await git(['commit', '--quiet', '-m', 'f'], { cwd: clone });
  await forge.pushBranch({
    key: shared,
    branch: taskBranch(shared),
    from: clone,
    token: 1,
    holder: 'agent-1',
    fence: async () => undefined,
  });

  const children = Array.from({ length: PROCESSES }, () =>
    spawn(process.execPath, ['--import', 'tsx', WORKER, forgeDir, shared, String(TASKS_EACH)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map(
    (child) =>
      new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}: ${out}`)),
        );
      }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          const onData = (c: Buffer): void => {
            if (c.toString().includes('ready')) {
              child.stdout.off('data', onData);
              resolve();
            }
          };
          child.stdout.on('data', onData);
        }),
    ),
  );
  for (const child of children) child.stdin.end('go\n');
  const results = (await Promise.all(outputs)).map(
    (o) => JSON.parse(o.split('\n').filter((l) => l.startsWith('{'))[0] ?? '') as WorkerResult,
  );

  const keys = results.flatMap((r) => r.keys);
  expect(keys).toHaveLength(PROCESSES * TASKS_EACH);
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.map((k) => parseTaskKey(k).number).sort((a, b) => a - b)).toEqual(
    Array.from({ length: keys.length }, (_, i) => i + 1),
  );
  expect((await forge.listOpenTasks('race/fresh')).length).toBe(keys.length);

  expect(results.filter((r) => r.pr.created)).toHaveLength(1);
  expect(new Set(results.map((r) => r.pr.number)).size).toBe(1);
  expect((await forge.taskRecord(shared)).prs).toHaveLength(1);

  expect(results.map((r) => r.added).sort()).toEqual([
    'added',
    ...Array<string>(PROCESSES - 1).fill('exists'),
  ]);
  expect((await forge.listRepos()).map((r) => r.name)).toEqual(['race/added', 'race/fresh', 'race/shared']);
});
