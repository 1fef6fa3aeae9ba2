/**
 * The audit log (issue 16), each figure against a raw baseline in the same run, medians of 3
 * rounds, the baseline and ours alternating within each round:
 * - `audit.append`: signed entries per second, 20,000 appends queued at once on a real `fs`
 *   content store (each durable: group-committed to the journal, the signed head moved), vs
 *   raw Ed25519 signatures of the same bytes (`crypto.sign` of each entry's signed bytes, one
 *   thread). Extra: how fast the entries are then copied into the content store.
 * - `audit.verify`: entries per second of `verifyChain` over that chain (every hash, link,
 *   sequence number and signature, in worker threads), vs raw Ed25519 verifies of the same
 *   bytes on one thread. Extra: the same verify also looking up each blob in the store (the
 *   CLI's default), and raw verifies split over as many threads as the verify uses (what the
 *   machine gives in parallel at that moment).
 */
import { sign, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsAuditLog, verifyChain } from '../src/adapters/audit/index.js';
import { createContentStore, type ContentStore } from '../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import { auditEntrySignedBytes, generateIdentity, type Identity } from '../src/protocol/index.js';
import { readRecords } from '../test/audit/support.js';
import { hrtimeMs, median, progress, round, throughput, type Benchmark, type Figure } from './lib.js';

const ENTRIES = 20_000;
const ROUNDS = 3;
const PUBLISH_SAMPLE_MS = 3_000;

interface Round {
  append: number;
  sign: number;
  verify: number;
  verifyStore: number;
  rawVerify: number;
  rawParallel: number;
  publish: number;
}

/** Worker threads the verify uses by default (the CPUs, at most 4). */
const THREADS = Math.min(4, availableParallelism());

const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const key = createPublicKey({ key: Buffer.from(workerData.spki), format: 'der', type: 'spki' });
parentPort.on('message', (items) => {
  for (const { signed, sig } of items) verify(null, Buffer.from(signed), key, Buffer.from(sig));
  parentPort.postMessage('done');
});`;

async function openStore(dir: string): Promise<ContentStore> {
  const store = createContentStore({ dataDir: dir }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  return store;
}

/** Entries per second of appending `ENTRIES` renewals, all queued at once. */
async function appendAll(log: FsAuditLog): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: ENTRIES }, (_, i) =>
      log.append({
        kind: 'renewal',
        task: `local:demo/app#${1 + (i % 50)}`,
        token: 1 + (i % 7),
        data: { holder: 'agent-1', expiresAt: 1_800_000_000_000 + i },
      }),
    ),
  );
  return ENTRIES / (hrtimeMs(t0) / 1000);
}

/** Entries per second copied into the store while nothing else runs. */
async function publishRate(log: FsAuditLog): Promise<number> {
  const from = log.published;
  const t0 = process.hrtime.bigint();
  while (hrtimeMs(t0) < PUBLISH_SAMPLE_MS && log.published < log.head()!.seq)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return (log.published - from) / (hrtimeMs(t0) / 1000);
}

function rawSign(signed: Buffer[], identity: Identity): number {
  const t0 = process.hrtime.bigint();
  for (const bytes of signed) sign(null, bytes, identity.privateKey);
  return signed.length / (hrtimeMs(t0) / 1000);
}

function rawVerify(signed: { signed: Buffer; sig: Buffer }[], identity: Identity): number {
  const t0 = process.hrtime.bigint();
  for (const s of signed) verify(null, s.signed, identity.publicKey, s.sig);
  return signed.length / (hrtimeMs(t0) / 1000);
}

/**
 * Raw verifies of the same bytes split over as many threads as the verify uses: what the
 * machine can do in parallel right now (on a loaded VM, barely more than one thread).
 */
async function rawParallelVerify(
  items: { signed: Buffer; sig: Buffer }[],
  identity: Identity,
): Promise<number> {
  const spki = identity.publicKey.export({ format: 'der', type: 'spki' });
  const workers = Array.from(
    { length: THREADS },
    () => new Worker(RAW_WORKER, { eval: true, workerData: { spki } }),
  );
  try {
    const parts = workers.map((_, w) => items.filter((_, i) => i % THREADS === w));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    const t0 = process.hrtime.bigint();
    await Promise.all(
      workers.map((w, i) => new Promise((resolve) => (w.once('message', resolve), w.postMessage(parts[i])))),
    );
    return items.length / (hrtimeMs(t0) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function oneRound(work: string): Promise<Round> {
  const dir = await mkdtemp(join(work, 'r-'));
  const identity = generateIdentity();
  const store = await openStore(dir);
  const log = new FsAuditLog(
    { dataDir: dir, nodeId: identity.nodeId },
    { store, privateKey: identity.privateKey, clock: systemClock, logger: silentLogger() },
  );
  await log.start();
  try {
    const append = await appendAll(log);
    const publish = await publishRate(log);
    await log.stop();
    const cut = (await readRecords(dir)).map((r) => auditEntrySignedBytes(r)!);
    const sign = rawSign(
      cut.map((c) => c.signed),
      identity,
    );
    const raw = rawVerify(cut, identity);
    const rawParallel = await rawParallelVerify(cut, identity);
    let t0 = process.hrtime.bigint();
    const report = await verifyChain(dir, { nodeId: identity.nodeId });
    const verifyRate = ENTRIES / (hrtimeMs(t0) / 1000);
    if (!report.ok) throw new Error(`the chain does not verify: ${JSON.stringify(report.problem)}`);
    t0 = process.hrtime.bigint();
    await verifyChain(dir, { nodeId: identity.nodeId, store });
    const verifyStore = ENTRIES / (hrtimeMs(t0) / 1000);
    return { append, sign, verify: verifyRate, verifyStore, rawVerify: raw, rawParallel, publish };
  } finally {
    await log.stop();
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  name: 'audit',
  async run(): Promise<Figure[]> {
    const work = await mkdtemp(join(tmpdir(), 'bzzz-bench-audit-'));
    const rounds: Round[] = [];
    try {
      for (let r = 0; r < ROUNDS; r++) {
        progress(`audit round ${r + 1}/${ROUNDS}`);
        rounds.push(await oneRound(work));
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const m = (key: keyof Round) => median(rounds.map((r) => r[key]));
    return [
      {
        ...throughput(
          'audit.append',
          'entries/s',
          m('append'),
          'raw Ed25519 sign of the same bytes',
          m('sign'),
        ),
        extra: { copied_to_store_per_s: round(m('publish'), 1), entries: ENTRIES },
      },
      {
        ...throughput(
          'audit.verify',
          'entries/s',
          m('verify'),
          'raw Ed25519 verify of the same bytes, one thread',
          m('rawVerify'),
        ),
        extra: {
          with_store_lookups_per_s: round(m('verifyStore'), 1),
          [`raw_verify_${THREADS}_threads_per_s`]: round(m('rawParallel'), 1),
          goal: 20_000,
        },
      },
    ];
  },
};

export default bench;
