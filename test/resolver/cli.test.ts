/**
 * `bzzz resolve`: against a running resolver (a separate process, as a user runs it: few,
 * since each is slow), and in-process for the offline cases and the usage errors: blobs from
 * the data dir, names only through the offline index hook, clear messages and exit codes.
 */
import { PassThrough } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import type { HttpServer } from '../../src/adapters/http/index.js';
import { Resolver, startResolverServer } from '../../src/adapters/resolver/index.js';
import { createResolveCommand } from '../../src/cli/commands/resolve.js';
import { main } from '../../src/cli/run.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/nats-server.js';
import { MemoryNameIndex, record } from './support.js';

// each spawned run is a fresh process through tsx: seconds apiece on a loaded machine
vi.setConfig({ testTimeout: 300_000 });

let dir: string;
let store: ContentStore;
let server: HttpServer;
let logHash: string;
const names = new MemoryNameIndex();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-cli-resolve-'));
  store = createContentStore({ dataDir: join(dir, 'data') }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  const log = await store.put(Buffer.from('{"steps":[]}'));
  logHash = log.hash;
  names.publish(record({ path: 'log', value: log.hash, size: log.size, seq: 1 }));
  names.publish(record({ agent: 'alpha-2', path: 'log', value: log.hash, size: log.size, seq: 2 }));
  const resolver = new Resolver(
    { cluster: 'test' },
    { store, names, clock: systemClock, logger: silentLogger() },
  );
  server = await startResolverServer({ host: '127.0.0.1', port: 0 }, { resolver, logger: silentLogger() });
});
afterAll(async () => {
  await server.stop();
  await store.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `bzzz resolve` in this process; `offline` is the data dir's name index hook. */
async function inProcess(argv: string[], env: Record<string, string>, offline?: MemoryNameIndex) {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const io = { stdout, stderr, env, cwd: dir, tty: false };
  const code =
    offline === undefined
      ? await main(['resolve', ...argv], io)
      : await createResolveCommand({
          openOfflineIndex: () => Promise.resolve({ index: offline, close: () => Promise.resolve() }),
        }).run({ ...io, argv, debug: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('bzzz resolve against a running resolver', () => {
  it('prints the resolver’s JSON with --json (--url)', async () => {
    const run = await runCli(['resolve', 'bzzz://*:*@demo~calc:1/log', '--json', '--url', server.url], {
      BZZZ_DATA_DIR: join(dir, 'data'),
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const body = JSON.parse(run.stdout) as { kind: string; hash: string; matches: { agent: string }[] };
    expect(body).toMatchObject({ kind: 'names', hash: logHash });
    expect(body.matches.map((m) => m.agent)).toEqual(['alpha-2', 'alpha']);
  });

  it('prints one line per match (the configured port), and exits 1 naming what is not found', async () => {
    const env = { BZZZ_DATA_DIR: join(dir, 'data'), BZZZ_RESOLVER_PORT: String(server.port) };
    const run = await runCli(['resolve', 'bzzz://alpha-2:*@demo~calc:1/log'], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      `bzzz://blob/${logHash}  http://127.0.0.1:${server.port}/v1/blobs/${logHash}  12 bytes  alpha-2@alpha local:demo/calc#1 seq 2`,
    ]);
    const missing = await runCli(['resolve', 'bzzz://*:*@demo~calc:9/diff'], env);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr.trim()).toBe('bzzz resolve: no record answers bzzz://*:*@demo~calc:9/diff');
  });
});

describe('bzzz resolve without a running resolver', () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    env = { BZZZ_DATA_DIR: join(dir, 'data'), BZZZ_RESOLVER_PORT: String(await freePort()) };
  });

  it('resolves a blob from the data dir, saying no resolver answered', async () => {
    const run = await inProcess([`bzzz://blob/${logHash}`], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `bzzz://blob/${logHash}  http://127.0.0.1:${env.BZZZ_RESOLVER_PORT}/v1/blobs/${logHash}  12 bytes`,
    );
    expect(run.stderr).toMatch(/no resolver answered at .*; resolved from the data dir/);
  });

  it('says names need a running node when the data dir’s names cannot be read', async () => {
    const run = await inProcess(['bzzz://*:*@demo~calc:1/log'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^bzzz resolve: names need a running node: no resolver answered at /);
  });

  it('resolves names through the offline index hook when the names layer provides one', async () => {
    const run = await inProcess(['bzzz://*:*@demo~calc:1/log', '--json'], env, names);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'names', hash: logHash });
  });

  it('exits 1 naming the wrong part of a bad address, 2 for bad usage', async () => {
    const bad = await inProcess(['bzzz://blob/XYZ'], env);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^bzzz resolve: invalid bzzz:\/\/ address "bzzz:\/\/blob\/XYZ": hash: /);
    expect((await inProcess([], env)).code).toBe(2);
    expect((await inProcess(['a', 'b'], env)).code).toBe(2);
    expect((await inProcess(['bzzz://blob/x', '--url', 'ftp://x'], env)).code).toBe(2);
  });
});
