/**
 * `bzzz cas` through the real command (a separate process): put prints the hash b3sum
 * computes, get verifies and exits 1 on a corrupt blob leaving no output file, stat, verify
 * and gc; bad input gets one line and a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { b3sum, blobPath, flipByte } from '../compliance/cas.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/nats-server.js';

// each run is a fresh process through tsx: seconds apiece on a loaded machine
vi.setConfig({ testTimeout: 300_000 });

let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-cli-cas-'));
  // a port nothing listens on: `cas stat` finds no running node to ask for holders
  env = { BZZZ_DATA_DIR: join(dir, 'data'), BZZZ_HTTP_PORT: String(await freePort()) };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bzzz cas', () => {
  it('put FILE prints the hash; get -o writes the same bytes; stat --json describes it', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    await writeFile(join(dir, 'in'), bytes);
    const put = await runCli(['cas', 'put', join(dir, 'in')], env);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    const hash = put.stdout.trim();
    expect(hash).toBe(b3sum(bytes));
    const get = await runCli(['cas', 'get', hash, '-o', join(dir, 'out')], env);
    expect(get.code).toBe(0);
    expect((await readFile(join(dir, 'out'))).equals(bytes)).toBe(true);
    const stat = await runCli(['cas', 'stat', hash, '--json'], env);
    // no node runs on the configured port: the local entry, and holders unknown saying why
    expect(JSON.parse(stat.stdout)).toMatchObject({
      hash,
      local: { hash, size: bytes.length, compression: 'raw', pinned: false },
      replication: { unknown: expect.stringContaining('no node answered') as unknown },
    });
  });

  it('put - reads stdin; --data-dir overrides the configured data dir', () => {
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), main, 'cas', 'put', '-', '--data-dir', join(dir, 'other')],
      {
        input: 'from stdin\n',
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(b3sum(Buffer.from('from stdin\n')));
    expect(existsSync(blobPath(join(dir, 'other'), r.stdout.trim()))).toBe(true);
  });

  it('a corrupt blob: get exits 1 with one line and no output file; verify reports it', async () => {
    const bytes = Buffer.from('soon corrupt '.repeat(10_000));
    await writeFile(join(dir, 'c'), bytes);
    const hash = (await runCli(['cas', 'put', join(dir, 'c')], env)).stdout.trim();
    await flipByte(blobPath(env.BZZZ_DATA_DIR!, hash), 20);
    const get = await runCli(['cas', 'get', hash, '-o', join(dir, 'c.out')], env);
    expect(get.code).toBe(1);
    expect(get.stderr.trim().split('\n')).toEqual([expect.stringContaining(`blob ${hash} is corrupt`)]);
    expect(existsSync(join(dir, 'c.out'))).toBe(false);
    const verify = await runCli(['cas', 'verify', '--json'], env);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ missing: [hash] });
  });

  it('gc removes what nothing keeps, past the grace period', async () => {
    await writeFile(join(dir, 'g'), 'garbage');
    const hash = (await runCli(['cas', 'put', join(dir, 'g')], env)).stdout.trim();
    const kept = await runCli(['cas', 'gc', '--json'], env);
    expect(JSON.parse(kept.stdout)).toMatchObject({ removed: [] });
    const gc = await runCli(['cas', 'gc', '--grace-ms', '0', '--json'], env);
    expect((JSON.parse(gc.stdout) as { removed: string[] }).removed).toContain(hash);
    expect((await runCli(['cas', 'stat', hash], env)).code).toBe(1);
  });

  it('bad input gets one line and a non-zero exit', async () => {
    const cases: [string[], number, string][] = [
      [['cas', 'get', 'not-a-hash'], 2, 'not a blob hash'],
      [['cas', 'stat', b3sum(Buffer.from('never stored'))], 1, 'no blob'],
      [['cas', 'get', b3sum(Buffer.from('never stored'))], 1, 'no blob'],
      [['cas', 'put', join(dir, 'missing-file')], 1, 'no such file'],
      [['cas', 'frobnicate'], 2, 'unknown cas command'],
    ];
    for (const [args, code, text] of cases) {
      const r = await runCli(args, env);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(text)]);
    }
    const help = await runCli(['cas', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('bzzz cas put FILE|-');
  });
});
