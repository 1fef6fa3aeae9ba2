// Jepsen-style proof of the forge claim store: 5 worker processes (forge-claim-worker.ts) race
// for 20 task keys through one forge directory while a nemesis kills -9 and restarts random
// workers; the history checker must find no violation over 3 runs, and must find one when the
// store's create-if-absent check is removed. Done markers are files in the run's directory
// (O_EXCL per key and token, plus an append-only log), read back from there for the checker.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import type { DoneRecord, ForgeWorkerConfig } from './forge-claim-worker.js';
import type { DoneMarker } from './forge-claim-worker.js';
import { checkHistory, type AppliedEffect, type HistoryEvent } from './history-checker.js';

const WORKER = fileURLToPath(new URL('./forge-claim-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
const waitExit = (c: ChildProcess) =>
  exited(c) ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bzzz-forge-chaos-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface RunOptions {
  run: string;
  keys: number;
  /** Kills of random workers, each restarted. */
  kills: number;
  broken: boolean;
  /** Every worker gives up at this age of the run; expected runs take a fifth of it or less. */
  budgetMs: number;
}

interface RunResult {
  keys: string[];
  events: HistoryEvent[];
  markers: Map<string, DoneMarker[]>;
  applied: Map<string, AppliedEffect[]>;
  kills: number;
}

async function runForgeChaos(options: RunOptions): Promise<RunResult> {
  const runDir = join(root, options.run);
  await mkdir(join(runDir, 'done'), { recursive: true });
  const keys = Array.from({ length: options.keys }, (_, i) => `local:${options.run}/app#${i + 1}`);
  const deadlineAt = Date.now() + options.budgetMs;
  let incarnation = 0;
  const spawnWorker = (slot: number): { child: ChildProcess; ready: Promise<void> } => {
    incarnation++;
    const holder = `w${slot}.${incarnation}`;
    const config: ForgeWorkerConfig = {
      forgeDir: join(root, 'forge'),
      cluster: options.run,
      runDir,
      keys,
      holder,
      logFile: join(runDir, `${holder}.jsonl`),
      ttlMs: 1_000,
      skewMs: 100,
      lockStaleMs: 2_000,
      deadlineAt,
      workMs: [200, 1_200],
      broken: options.broken,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = new Promise<void>((resolve) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', () => resolve());
    });
    return { child, ready };
  };
  const first = Array.from({ length: 5 }, (_, i) => spawnWorker(i));
  const slots = first.map((w) => w.child);
  let kills = 0;
  try {
    await Promise.all(first.map((w) => w.ready));
    while (slots.some((c) => !exited(c)) && Date.now() < deadlineAt && kills < options.kills) {
      await sleep(250 + Math.random() * 500);
      const live = slots.map((c, i) => [c, i] as const).filter(([c]) => !exited(c));
      if (live.length === 0) break;
      const [victim, slot] = live[Math.floor(Math.random() * live.length)]!;
      victim.kill('SIGKILL');
      await waitExit(victim);
      kills++;
      slots[slot] = spawnWorker(slot).child;
    }
    const overdue = sleep(Math.max(0, deadlineAt - Date.now()) + 10_000);
    await Promise.race([Promise.all(slots.map(waitExit)), overdue]);
  } finally {
    for (const child of slots) if (!exited(child)) child.kill('SIGKILL');
  }
  const markers = await readMarkers(runDir, keys);
  // each done marker is a finish the resource (the directory) applied, in the order written
  const applied = new Map<string, AppliedEffect[]>(
    [...markers].map(([key, list]) => [
      key,
      [...list].sort((a, b) => a.at - b.at).map((m) => ({ kind: 'finish' as const, ...m })),
    ]),
  );
  return { keys, events: await readEvents(runDir), markers, applied, kills };
}

async function readEvents(runDir: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for (const file of (await readdir(runDir)).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(runDir, file), 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        // A line cut by kill -9: that step was never fully recorded.
      }
    }
  }
  return events;
}

/**
 * The done markers from the directory itself: one per file. A file emptied by a kill between
 * its creation and its write is filled in from the log when the log has its line, else it
 * counts as a marker of nobody (the checker then reports it).
 */
async function readMarkers(runDir: string, keys: string[]): Promise<Map<string, DoneMarker[]>> {
  const logged = (await readFile(join(runDir, 'done.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DoneRecord);
  const byName = new Map(keys.map((key) => [encodeClaimKey(key), key]));
  const markers = new Map<string, DoneMarker[]>(keys.map((key) => [key, []]));
  for (const name of await readdir(join(runDir, 'done'))) {
    const [, encoded, token] = /^([A-Za-z0-9_-]+)\.([0-9]+)\.json$/.exec(name) ?? [];
    const key = byName.get(encoded ?? '');
    if (key === undefined) throw new Error(`a done file of no key: ${name}`);
    let record: DoneRecord | undefined;
    try {
      record = JSON.parse(await readFile(join(runDir, 'done', name), 'utf8')) as DoneRecord;
    } catch {
      record = logged.find((l) => l.key === key && l.token === Number(token));
    }
    record ??= { key, holder: '(torn marker)', token: Number(token), at: Number.NaN };
    expect(record.token).toBe(Number(token));
    markers.get(key)!.push({ holder: record.holder, token: record.token, at: record.at });
  }
  return markers;
}

describe('forge claims under chaos', () => {
  for (const run of ['fchaos1', 'fchaos2', 'fchaos3']) {
    it(`${run}: 5 workers, 20 keys, 4 worker kills: no violation`, { timeout: 120_000 }, async () => {
      const result = await runForgeChaos({ run, keys: 20, kills: 4, broken: false, budgetMs: 45_000 });
      const check = checkHistory({ ...result, toleranceMs: 0 });
      expect(check.violations.slice(0, 5)).toEqual([]);
      expect(check.stats.finished).toBe(20);
      expect(result.kills).toBe(4);
      // The run exercised what it claims to: effects, grants and renewals happened.
      expect(check.stats.effects).toBeGreaterThanOrEqual(20);
      expect(check.stats.grants).toBeGreaterThanOrEqual(20);
      expect(check.stats.renewals).toBeGreaterThan(0);
    });
  }

  // Such a store livelocks on its last keys (everyone takes them from everyone), so this run
  // lasts its whole budget: short, since overlapping grants show up in its first second.
  it('catches a forge store whose claim skips the create-if-absent check', { timeout: 60_000 }, async () => {
    const result = await runForgeChaos({
      run: 'fbroken',
      keys: 10,
      kills: 0,
      broken: true,
      budgetMs: 15_000,
    });
    const check = checkHistory({ ...result, toleranceMs: 0 });
    expect(check.ok).toBe(false);
    expect(check.violations.some((v) => v.rule === 'exclusion')).toBe(true);
  });
});
