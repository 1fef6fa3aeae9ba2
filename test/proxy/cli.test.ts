/**
 * The proxy's commands as a user runs them: `bzzz proxy key add` prints the key once, on the
 * last line, and keeps only its SHA-256; `bzzz proxy usage` reads the data dir's records;
 * `bzzz proxy` refuses to start without an upstream or with a bad keys file; the upstream key
 * read from its file is redacted by `bzzz config print`.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LocalUsageSink } from '../../src/adapters/proxy/index.js';
import { usageRecord } from '../compliance/usage-sink.js';
import { runCli } from '../helpers/cli.js';

// each command is a process of its own, started through tsx: slow on a loaded machine
vi.setConfig({ testTimeout: 240_000 });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bzzz proxy key add', () => {
  it('prints the new key on the last line and keeps only its hash, with its limits', async () => {
    const data = join(dir, 'keys');
    const run = await runCli([
      'proxy',
      'key',
      'add',
      '--name',
      'agent-1',
      '--rpm',
      '60',
      '--tpm',
      '90000',
      '--budget-usd',
      '2.5',
      '--data-dir',
      data,
    ]);
    expect(run.code).toBe(0);
    const key = run.stdout.trimEnd().split('\n').at(-1)!;
    expect(key).toMatch(/^sk-bzzz-[A-Za-z0-9_-]{43}$/);
    expect(run.stderr).toContain('only its SHA-256 is kept');
    const file = join(data, 'proxy-keys.yaml');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(8, 30));
    expect((parseYaml(text) as { keys: unknown[] }).keys).toEqual([
      {
        name: 'agent-1',
        sha256: createHash('sha256').update(key).digest('hex'),
        rpm: 60,
        tpm: 90000,
        budget_usd: 2.5,
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      },
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await runCli(['proxy', 'key', 'add', '--name', 'agent-2', '--data-dir', data]);
    expect(second.code).toBe(0);
    const names = (parseYaml(await readFile(file, 'utf8')) as { keys: { name: string }[] }).keys.map(
      (k) => k.name,
    );
    expect(names).toEqual(['agent-1', 'agent-2']);
  });

  it('refuses a name taken (exit 1) and bad flags (exit 2), changing nothing', async () => {
    const data = join(dir, 'dup');
    expect((await runCli(['proxy', 'key', 'add', '--name', 'twice', '--data-dir', data])).code).toBe(0);
    const before = await readFile(join(data, 'proxy-keys.yaml'), 'utf8');
    const dup = await runCli(['proxy', 'key', 'add', '--name', 'twice', '--data-dir', data]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('a virtual key named twice exists already');
    expect(dup.stdout).toBe('');
    const bad = [
      ['--name', 'x', '--rpm', 'many'],
      ['--name', 'has space'],
      ['--budget-usd', '-1', '--name', 'y'],
      [],
    ];
    const runs = await Promise.all(
      bad.map((flags) => runCli(['proxy', 'key', 'add', ...flags, '--data-dir', data])),
    );
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await readFile(join(data, 'proxy-keys.yaml'), 'utf8')).toBe(before);
  });
});

describe('bzzz proxy usage', () => {
  it('prints totals and groups as JSON, and a table', async () => {
    const data = join(dir, 'usage');
    const sink = new LocalUsageSink(join(data, 'usage.db'));
    await sink.record(
      usageRecord({
        key: 'a',
        task: 't1',
        model: 'gpt-4o',
        promptTokens: 100,
        completionTokens: 10,
        costUsd: 0.5,
      }),
    );
    await sink.record(
      usageRecord({
        key: 'b',
        task: null,
        model: 'gpt-4o',
        promptTokens: 200,
        completionTokens: 20,
        costUsd: 0.25,
      }),
    );
    sink.close();
    const json = await runCli(['proxy', 'usage', '--json', '--by', 'task', '--data-dir', data]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      requests: 2,
      prompt_tokens: 300,
      completion_tokens: 30,
      cost_usd: 0.75,
      groups: [
        { group: '(none)', requests: 1, prompt_tokens: 200, completion_tokens: 20, cost_usd: 0.25 },
        { group: 't1', requests: 1, prompt_tokens: 100, completion_tokens: 10, cost_usd: 0.5 },
      ],
    });
    const table = await runCli(['proxy', 'usage', '--data-dir', data]);
    expect(table.code).toBe(0);
    expect(
      table.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/\s+/)),
    ).toEqual([
      ['key', 'requests', 'prompt', 'completion', 'usd'],
      ['a', '1', '100', '10', '0.500000'],
      ['b', '1', '200', '20', '0.250000'],
      ['total', '2', '300', '30', '0.750000'],
    ]);
    expect((await runCli(['proxy', 'usage', '--by', 'colour', '--data-dir', data])).code).toBe(2);
  });
});

describe('bzzz proxy', () => {
  it('needs an upstream (exit 2) and a valid keys file (exit 1, naming it)', async () => {
    const data = join(dir, 'start');
    const none = await runCli(['proxy', '--data-dir', data]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('BZZZ_PROXY_UPSTREAM_URL');
    const keys = join(dir, 'bad-keys.yaml');
    await writeFile(keys, 'keys:\n  - name: x\n    sha256: not-a-hash\n');
    const bad = await runCli(['proxy', '--port', '0', '--data-dir', data], {
      BZZZ_PROXY_UPSTREAM_URL: 'http://127.0.0.1:9/v1',
      BZZZ_PROXY_KEYS_FILE: keys,
      BZZZ_LOG_LEVEL: 'silent',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad-keys.yaml: keys.0.sha256: 64 lowercase hex digits');
  });

  it('reads the upstream key from its file, and config print redacts it', async () => {
    const file = join(dir, 'upstream.key');
    await writeFile(file, 'sk-upstream-secret-0123456789\n');
    const run = await runCli(['config', 'print', '--json'], { BZZZ_PROXY_UPSTREAM_KEY_FILE: file });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('sk-upstream-secret');
    expect(JSON.parse(run.stdout)).toMatchObject({ proxy_upstream_key: '[redacted]', proxy_port: 3002 });
  });
});
