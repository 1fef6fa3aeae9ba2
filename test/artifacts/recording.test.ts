/**
 * Task artifacts on the embedded default (issue 16): a node with the local forge, scripted
 * tasks in bubblewrap. A task that ends (done, or failed at a step) leaves its transcript, its
 * diff against the base and its result tree in the content store, pinned, under names the
 * node's index answers (`*:*@demo~calc:n/log`, ...), filtered by agent and role; the names
 * still resolve from the data dir once the node is gone, and a row changed on disk is refused
 * and counted, not trusted.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createContentStore } from '../../src/adapters/cas/index.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import {
  nameTablePath,
  SqliteNameTable,
  TaskNameLookup,
  type TaskNameIndex,
  type TaskNameQuery,
} from '../../src/adapters/names/index.js';
import { forgeDir, loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { startMainJob, waitForOutcomes, type MainJob } from '../../src/node/main-job.js';
import {
  parseTaskKey,
  transcriptSchema,
  treeManifestSchema,
  type TaskArtifact,
} from '../../src/protocol/index.js';
import { eventually, runCli } from '../helpers/cli.js';

const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const query = (key: string, path: TaskArtifact, who: Partial<TaskNameQuery> = {}): TaskNameQuery => {
  const { owner, repo, number } = parseTaskKey(key);
  return { agent: '*', role: '*', owner, repo, number, path, ...who };
};

describe('a task recorded on the embedded default', () => {
  it(
    'keeps the log, diff and tree of a done and of a failed task, pinned and named',
    { timeout: 240_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bzzz-artifacts-'));
      chmodSync(dir, 0o755);
      const config = loadConfig({
        env: {
          BZZZ_DATA_DIR: dir,
          BZZZ_HTTP_PORT: '0',
          BZZZ_SANDBOX: 'bwrap',
          BZZZ_NODE_NAME: 'solo',
          BZZZ_CAPABILITIES: 'shell,docs',
        },
        cwd: dir,
      });
      const forge = new LocalForge({ dir: forgeDir(config) }, { logger: silentLogger(), clock: systemClock });
      const done = await forge.addTask({
        title: 'Greet',
        repo: 'demo/calc',
        body: [
          '```bzzz-steps',
          'echo hello > GREETING.txt',
          'mkdir -p sub && printf "x\\n" > sub/x.txt && ln -s /etc/passwd sub/link',
          'cat GREETING.txt',
          '```',
        ].join('\n'),
      });
      const failed = await forge.addTask({
        title: 'Half done',
        repo: 'demo/calc',
        body: '```bzzz-steps\necho partial > partial.txt\necho oops >&2; exit 3\n```\n',
      });
      const job: MainJob = await startMainJob(config, {
        agents: 1,
        logger: silentLogger(),
        clock: systemClock,
      });
      let stopped = false;
      stops.push(() => (stopped ? Promise.resolve() : job.stop()));
      const outcomes = await waitForOutcomes(job.pipeline, systemClock, AbortSignal.timeout(150_000));
      expect(outcomes.map((r) => [r.key, r.state])).toEqual([
        [done, 'done'],
        [failed, 'failed'],
      ]);
      const index = job.pipeline.names!.names.index;
      const store = job.pipeline.contentStore;
      const one = async (key: string, path: TaskArtifact) =>
        eventually(async () => (await index.lookup(query(key, path)))[0], 60_000, `${key} ${path} named`);

      // the transcript: every command with its exit code and output, the outcome and the PR
      const log = await one(done, 'log');
      expect(log).toMatchObject({
        agent: 'solo',
        nodeName: 'solo',
        roles: ['shell', 'docs'],
        task: done,
        path: 'log',
      });
      expect(log.node).toBe(job.node.nodeId);
      expect((await store.stat(log.value))?.pinned).toBe(true);
      const transcript = transcriptSchema.parse(
        JSON.parse(Buffer.from(await store.get(log.value)).toString()),
      );
      expect(transcript).toMatchObject({ task: done, name: 'demo~calc:1', agent: 'solo', outcome: 'done' });
      const commands = transcript.steps.filter((s) => s.kind === 'command');
      expect(commands.map((s) => [s.command, s.exitCode])).toEqual([
        ['echo hello > GREETING.txt', 0],
        ['mkdir -p sub && printf "x\\n" > sub/x.txt && ln -s /etc/passwd sub/link', 0],
        ['cat GREETING.txt', 0],
      ]);
      expect(commands[2]).toMatchObject({ stdout: 'hello\n' });
      const pr = await one(done, 'pr');
      expect(pr.value).toBe(transcript.pr?.url);
      expect(pr.value).toBe(outcomes[0]!.pr?.url);

      // the diff against the base, made inside the sandbox
      const diff = await one(done, 'diff');
      expect(transcript.artifacts.diff?.hash).toBe(diff.value);
      const patch = Buffer.from(await store.get(diff.value)).toString();
      expect(patch).toContain('diff --git a/GREETING.txt b/GREETING.txt');
      expect(patch).toContain('+hello');
      expect(patch).toContain('sub/link');
      expect((await store.stat(diff.value))?.pinned).toBe(true);

      // the result tree: regular files only, the link listed as skipped, never followed
      const tree = await one(done, 'tree');
      expect(transcript.artifacts.tree?.hash).toBe(tree.value);
      const manifest = treeManifestSchema.parse(
        JSON.parse(Buffer.from(await store.get(tree.value)).toString()),
      );
      expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['GREETING.txt', 'sub/x.txt']));
      expect(Object.keys(manifest.files).some((p) => p.startsWith('.git'))).toBe(false);
      expect(manifest.files['sub/link']).toBeUndefined();
      expect(manifest.skipped?.['sub/link']).toContain('symbolic link');
      expect(manifest.capped).toBeUndefined();
      const greeting = manifest.files['GREETING.txt']!;
      expect(Buffer.from(await store.get(greeting.hash)).toString()).toBe('hello\n');
      expect((await store.stat(greeting.hash))?.pinned).toBe(true);

      // a failed task has its log (the failing step and its output) and its uncommitted diff
      const failedLog = await one(failed, 'log');
      const failedTranscript = transcriptSchema.parse(
        JSON.parse(Buffer.from(await store.get(failedLog.value)).toString()),
      );
      expect(failedTranscript.outcome).toBe('failed');
      expect(failedTranscript.pr).toBeNull();
      expect(failedTranscript.steps.at(-1)).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
      const failedDiff = await one(failed, 'diff');
      expect(Buffer.from(await store.get(failedDiff.value)).toString()).toContain('+partial');
      expect(await index.lookup(query(failed, 'pr'))).toEqual([]);

      // agent and role filter the matches
      expect(await index.lookup(query(done, 'log', { agent: 'solo', role: 'docs' }))).toHaveLength(1);
      expect(await index.lookup(query(done, 'log', { agent: 'someone-else' }))).toEqual([]);
      expect(await index.lookup(query(done, 'log', { role: 'rust' }))).toEqual([]);
      const metrics = await (await fetch(`${job.node.httpUrl!}/metrics`)).text();
      expect(metrics).toMatch(/^bzzz_task_recordings_total\{[^}]*result="recorded"[^}]*\} 2$/m);

      await job.stop();
      stopped = true;
      await offline(dir, done, log.value);
    },
  );
});

/** The names resolve from the data dir alone once the node is gone; a changed row is refused. */
async function offline(dir: string, key: string, logHash: string): Promise<void> {
  const table = new SqliteNameTable({ path: nameTablePath(dir) });
  await table.start();
  stops.push(() => table.stop());
  const rejected: string[] = [];
  const index: TaskNameIndex = new TaskNameLookup(
    {},
    {
      table,
      networks: () => [],
      clock: systemClock,
      logger: silentLogger(),
      metrics: { rejected: (source, reason) => rejected.push(`${source}:${reason}`) },
    },
  );
  const [match] = await index.lookup(query(key, 'log'));
  expect(match?.value).toBe(logHash);
  const cas = createContentStore({ dataDir: dir }, { logger: silentLogger(), clock: systemClock });
  await cas.start();
  stops.push(() => cas.stop());
  expect(Buffer.from(await cas.get(logHash)).toString()).toContain('echo hello > GREETING.txt');

  // someone edits the table on disk: the value no longer matches its signature
  const db = new DatabaseSync(nameTablePath(dir));
  const { owner, repo, number } = parseTaskKey(key);
  const row = db
    .prepare("SELECT node, path, wire FROM names WHERE name_id = ? AND artifact = 'log'")
    .get(`${owner}~${repo}:${number}`) as {
    node: string;
    path: string;
    wire: Uint8Array;
  };
  const forged = Buffer.from(row.wire).toString().replaceAll('solo', 'mallory');
  expect(forged).not.toBe(Buffer.from(row.wire).toString());
  db.prepare('UPDATE names SET wire = ? WHERE node = ? AND path = ?').run(
    Buffer.from(forged),
    row.node,
    row.path,
  );
  db.close();
  expect(await index.lookup(query(key, 'log'))).toEqual([]);
  expect(rejected).toContain('table:bad_signature');
}

describe('bzzz up --once', () => {
  it('leaves every example task recorded and named in its data dir', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-artifacts-up-'));
    chmodSync(dir, 0o755);
    const data = join(dir, 'data');
    const run = await runCli(
      ['up', '--once'],
      { BZZZ_DATA_DIR: data, BZZZ_HTTP_PORT: '0', BZZZ_SANDBOX: 'bwrap' },
      dir,
    );
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const table = new SqliteNameTable({ path: nameTablePath(data) });
    await table.start();
    stops.push(() => table.stop());
    const index = new TaskNameLookup(
      {},
      { table, networks: () => [], clock: systemClock, logger: silentLogger() },
    );
    const cas = createContentStore({ dataDir: data }, { logger: silentLogger(), clock: systemClock });
    await cas.start();
    stops.push(() => cas.stop());
    for (const number of [1, 2, 3]) {
      const key = `local:demo/calc#${number}`;
      const [log] = await index.lookup(query(key, 'log'));
      expect(log, key).toBeDefined();
      const transcript = transcriptSchema.parse(
        JSON.parse(Buffer.from(await cas.get(log!.value)).toString()),
      );
      // the stop `--once` sends once the forge has every outcome does not make a done task `stopped`
      expect(transcript.outcome, key).toBe('done');
      expect(transcript.steps.length, key).toBeGreaterThan(0);
      for (const path of ['diff', 'tree', 'pr'] as const)
        expect(await index.lookup(query(key, path)), `${key} ${path}`).toHaveLength(1);
    }
  });
});
