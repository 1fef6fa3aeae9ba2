/**
 * `bzzz audit` through the real command (a separate process, through tsx): `verify` of a good
 * chain exits 0 and says so; `show --task --json` prints the task's entries with their blob
 * hashes; a chain with an entry removed makes `verify` exit 1 naming that entry (seq, hash,
 * what is wrong), in text and in JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { eventually, runCli } from '../helpers/cli.js';
import { appendMany, b3, openLog, readRecords, TASK, writeRecords } from './support.js';

// each run is a fresh process through tsx: seconds apiece on a loaded machine
vi.setConfig({ testTimeout: 300_000 });

let dir: string;
let hashes: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-cli-audit-'));
  const identity = await loadOrCreateIdentity(dir);
  const { log, close } = await openLog(dir, identity);
  await appendMany(log, 6);
  await log.append({ kind: 'outcome', task: 'local:demo/app#9', token: 1, data: { state: 'done' } });
  await eventually(() => (log.published === 7 ? true : undefined), 30_000, 'entries copied');
  await close();
  hashes = await Promise.all((await readRecords(dir)).map((r) => b3(r)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bzzz audit', () => {
  it('verify passes a good chain; show --task --json prints its entries with their hashes', async () => {
    const verify = await runCli(['audit', 'verify', '--data-dir', dir]);
    expect(verify).toMatchObject({ code: 0, stderr: '' });
    expect(verify.stdout).toMatch(
      /^ok: 7 entries of 12D3KooW\w+, head seq 7 \(\w{64}\), signed; 0 witnessed heads agree\n$/,
    );
    const show = await runCli(['audit', 'show', '--task', TASK, '--json', '--data-dir', dir]);
    expect(show.code).toBe(0);
    const entries = JSON.parse(show.stdout) as { seq: number; hash: string; task: string; kind: string }[];
    expect(entries.map((e) => [e.seq, e.hash])).toEqual(hashes.slice(0, 6).map((h, i) => [i + 1, h]));
    expect(entries.every((e) => e.task === TASK)).toBe(true);
  });

  it('verify exits 1 naming the first bad entry of a chain with an entry removed', async () => {
    const records = await readRecords(dir);
    await writeRecords(dir, [...records.slice(0, 2), ...records.slice(3)]);
    const text = await runCli(['audit', 'verify', '--data-dir', dir]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(
      `bzzz audit: bad entry seq 3 (hash ${hashes[2]!}): removed: the journal goes from seq 2 to seq 4\n`,
    );
    const json = await runCli(['audit', 'verify', '--json', '--data-dir', dir]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problem: { seq: 3, hash: hashes[2] } });
  });
});
