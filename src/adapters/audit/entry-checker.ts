/**
 * Hashes entry blobs and checks their signatures, the costly half of a verify: on this thread
 * for a short chain, in worker threads for a long one (an Ed25519 verify costs about three
 * BLAKE3 hashes and a parse together; the workers take it off the thread that walks the chain).
 * Records go to the workers in batches, their bytes moved, not copied.
 *
 * The worker's code is evaluated from a string and loads hash-wasm by absolute path (as the
 * content store's hash pool does): it runs the same from the compiled CLI, tsx and the test
 * runner. It cuts the signed bytes out of a blob exactly as `auditEntrySignedBytes` does
 * (the `sig` member is the last `,"sig":"…"` of the blob); the tests run both paths.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { AUDIT_ENTRY_DOMAIN, verifyAuditEntryBytes } from '../../protocol/audit.js';
import { blake3, type Blake3 } from './hasher.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const { createBLAKE3 } = require(workerData.hashWasm);
const key = createPublicKey({ key: Buffer.from(workerData.spki), format: 'der', type: 'spki' });
const DOMAIN = Buffer.from(workerData.domain, 'utf8');
const SIG = Buffer.from(',"sig":"', 'utf8');
const hasher = createBLAKE3(256);
parentPort.on('message', async (m) => {
  const h = await hasher;
  const buf = Buffer.from(m.buf);
  const n = m.lengths.length;
  const hashes = new Uint8Array(32 * n);
  const ok = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const rec = buf.subarray(at, at + m.lengths[i]);
    at += m.lengths[i];
    h.init(); h.update(rec); hashes.set(h.digest('binary'), 32 * i);
    const s = rec.lastIndexOf(SIG);
    if (s < 0 || rec[s + 96] !== 0x22) continue;
    const sig = Buffer.from(rec.toString('latin1', s + 8, s + 96), 'base64');
    if (sig.length !== 64) continue;
    try { ok[i] = verify(null, Buffer.concat([DOMAIN, rec.subarray(0, s), rec.subarray(s + 97)]), key, sig) ? 1 : 0; } catch {}
  }
  parentPort.postMessage({ id: m.id, hashes, ok }, [hashes.buffer, ok.buffer]);
});
`;

/** Below this many records a batch is checked on this thread. */
const INLINE_BELOW = 256;

/** Each record's hash (hex) and whether its signature is the key's. */
export interface CheckedBatch {
  hashes: string[];
  signed: boolean[];
}

interface Job {
  resolve(batch: CheckedBatch): void;
  reject(error: Error): void;
}

export class EntryChecker {
  readonly #workers: Worker[] = [];
  readonly #jobs = new Map<number, Job>();
  readonly #size: number;
  #next = 1;
  #turn = 0;
  #hash: Blake3 | undefined;

  /** `workers`: threads for long batches (default: the CPUs, at most 4; 0: none). */
  constructor(
    readonly key: KeyObject,
    workers?: number,
  ) {
    this.#size = Math.max(0, workers ?? Math.min(4, availableParallelism()));
  }

  /** Hashes and checks one batch of blobs. */
  async check(blobs: readonly Uint8Array[]): Promise<CheckedBatch> {
    if (this.#size === 0 || blobs.length < INLINE_BELOW) return this.#inline(blobs);
    const worker = this.#worker();
    const id = this.#next++;
    const lengths = Uint32Array.from(blobs, (b) => b.byteLength);
    const buf = new Uint8Array(lengths.reduce((sum, n) => sum + n, 0));
    let at = 0;
    for (const blob of blobs) {
      buf.set(blob, at);
      at += blob.byteLength;
    }
    return new Promise<CheckedBatch>((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, buf: buf.buffer, lengths }, [buf.buffer]);
    });
  }

  async close(): Promise<void> {
    // taken out first: their exits are no failure
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  async #inline(blobs: readonly Uint8Array[]): Promise<CheckedBatch> {
    this.#hash ??= await blake3();
    const hash = this.#hash;
    return {
      hashes: blobs.map((b) => hash(b)),
      signed: blobs.map((b) => verifyAuditEntryBytes(b, this.key)),
    };
  }

  #worker(): Worker {
    if (this.#workers.length < this.#size) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          hashWasm: createRequire(import.meta.url).resolve('hash-wasm'),
          spki: this.key.export({ format: 'der', type: 'spki' }),
          domain: AUDIT_ENTRY_DOMAIN,
        },
      });
      worker.on('message', (m: { id: number; hashes: Uint8Array; ok: Uint8Array }) => this.#done(m));
      // a worker that fails takes the pending batches with it and is replaced by the next check
      const fail = (error: Error) => {
        const at = this.#workers.indexOf(worker);
        if (at >= 0) this.#workers.splice(at, 1);
        for (const job of this.#jobs.values()) job.reject(error);
        this.#jobs.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (this.#workers.includes(worker)) fail(new Error(`an entry checker thread exited (${code})`));
      });
      this.#workers.push(worker);
      return worker;
    }
    return this.#workers[this.#turn++ % this.#workers.length]!;
  }

  #done(m: { id: number; hashes: Uint8Array; ok: Uint8Array }): void {
    const job = this.#jobs.get(m.id);
    this.#jobs.delete(m.id);
    // idle workers never keep the process alive
    if (this.#jobs.size === 0) for (const w of this.#workers) w.unref();
    if (job === undefined) return;
    const hex = Buffer.from(m.hashes.buffer, m.hashes.byteOffset, m.hashes.byteLength).toString('hex');
    const hashes = Array.from(m.ok, (_, i) => hex.slice(64 * i, 64 * i + 64));
    job.resolve({ hashes, signed: Array.from(m.ok, (v) => v === 1) });
  }
}
