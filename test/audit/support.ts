/**
 * Helpers of the audit log tests: a log over a real `fs` content store in a temp data dir, and
 * the tools of a tamperer who has the data dir (and, for some attacks, the node's key): read
 * the journal's records, write them back edited, re-sign an entry, move the head.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { createBLAKE3 } from 'hash-wasm';
import { auditPaths, FsAuditLog, type AuditInput } from '../../src/adapters/audit/index.js';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import type { Clock } from '../../src/lib/clock.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import {
  decodeAuditEntry,
  signAuditEntry,
  signAuditHead,
  type AuditEntry,
  type Identity,
} from '../../src/protocol/index.js';

export const TASK = 'local:demo/app#3';

export interface OpenLog {
  log: FsAuditLog;
  store: ContentStore;
  close: () => Promise<void>;
}

/** `expect.stringMatching`, typed for an object literal. */
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

/** A started store and log on `dataDir`, signing as `identity`. */
export async function openLog(
  dataDir: string,
  identity: Identity,
  options: { clock?: Clock; maxBatch?: number } = {},
): Promise<OpenLog> {
  const clock = options.clock ?? systemClock;
  const store = createContentStore({ dataDir }, { logger: silentLogger(), clock });
  await store.start();
  const log = new FsAuditLog(
    { dataDir, nodeId: identity.nodeId, ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}) },
    { store, privateKey: identity.privateKey, clock, logger: silentLogger() },
  );
  await log.start();
  return {
    log,
    store,
    close: async () => {
      await log.stop();
      await store.stop();
    },
  };
}

/** The i-th input of a test chain: the kinds in turn, about one task. */
export function input(i: number): AuditInput {
  const kinds = ['claim', 'renewal', 'effect', 'renewal', 'release'] as const;
  return { kind: kinds[i % kinds.length]!, task: TASK, token: 7, data: { i, holder: 'agent-1' } };
}

/** Appends `n` entries (all queued at once: one or more batches). */
export async function appendMany(log: FsAuditLog, n: number, from = 0): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(input(from + i))));
}

export async function b3(bytes: Uint8Array): Promise<string> {
  const h = await createBLAKE3(256);
  h.init();
  h.update(bytes);
  return h.digest('hex');
}

/** The journal's records (entry blobs), in order. */
export async function readRecords(dataDir: string): Promise<Buffer[]> {
  const bytes = await readFile(auditPaths(dataDir).journal);
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= bytes.length;) {
    const length = bytes.readUInt32LE(at);
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/** Replaces the journal with these records; the head file is left as it is unless `head`. */
export async function writeRecords(
  dataDir: string,
  records: readonly Uint8Array[],
  head?: { identity: Identity },
): Promise<void> {
  const frames = records.map((r) => {
    const frame = Buffer.alloc(4 + r.byteLength);
    frame.writeUInt32LE(r.byteLength, 0);
    frame.set(r, 4);
    return frame;
  });
  const journal = Buffer.concat(frames);
  await writeFile(auditPaths(dataDir).journal, journal);
  if (head === undefined) return;
  const last = records.at(-1)!;
  const entry = decodeAuditEntry(last);
  const signed = signAuditHead(
    { at: entry.at, hash: await b3(last), node: entry.node, seq: entry.seq },
    head.identity.privateKey,
  );
  await writeFile(auditPaths(dataDir).head, JSON.stringify({ head: signed, journal: journal.length }));
}

/** `record` changed by `change`, signed again with `identity`'s key (any node's). */
export function resign(
  record: Uint8Array,
  identity: Identity,
  change: (e: AuditEntry) => Partial<AuditEntry>,
): Buffer {
  const { sig: _sig, ...entry } = { ...decodeAuditEntry(record) };
  return signAuditEntry({ ...entry, ...change(decodeAuditEntry(record)) }, identity.privateKey).bytes;
}

/**
 * A chain rewritten from `from` (1-based) on, by someone with the node's key: the entries
 * before are kept; the rest are re-made with other data and linked again, `length` in all.
 */
export async function rewrite(
  records: readonly Buffer[],
  identity: Identity,
  from: number,
  length: number,
): Promise<Buffer[]> {
  const out = records.slice(0, from - 1);
  for (let seq = from; seq <= length; seq++) {
    const prev = seq === 1 ? null : await b3(out[seq - 2]!);
    const base = decodeAuditEntry(records[Math.min(seq, records.length) - 1]!);
    const { sig: _sig, ...unsigned } = base;
    out.push(
      signAuditEntry({ ...unsigned, seq, prev, data: { rewritten: true, seq } }, identity.privateKey).bytes,
    );
  }
  return out;
}
