/**
 * A pool of worker threads that hash large inputs, so a 100 MB put or read never holds the
 * node's event loop. A hash session is bound to one worker (the least busy when it starts);
 * chunks are copied to it in order and the digest comes back at the end. A session waits
 * when too many of its bytes are still queued in the worker, so memory stays bounded.
 *
 * The worker's code is evaluated from a string and loads hash-wasm by absolute path: it runs
 * the same from the compiled CLI, tsx and the test runner, which each load .ts differently.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CasIoError } from './errors.js';
import type { BlobHash } from './types.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createBLAKE3 } = require(workerData.hashWasm);
const hashers = new Map();
let chain = Promise.resolve();
async function handle(m) {
  let h = hashers.get(m.id);
  if (h === undefined && m.t !== 'x') { h = await createBLAKE3(256); h.init(); hashers.set(m.id, h); }
  if (m.t === 'u') { h.update(m.b); parentPort.postMessage({ id: m.id, ack: m.b.byteLength }); }
  else if (m.t === 'd') { parentPort.postMessage({ id: m.id, hex: h.digest('hex') }); hashers.delete(m.id); }
  else hashers.delete(m.id);
}
parentPort.on('message', (m) => { chain = chain.then(() => handle(m)).catch((e) => parentPort.postMessage({ id: m.id, error: String(e) })); });
`;

/** Bytes of one session queued in its worker before `update` waits. */
const MAX_QUEUED = 16 * 1024 * 1024;

interface Pending {
  queued: number;
  drained?: () => void;
  done?: { resolve: (hex: string) => void; reject: (e: Error) => void };
}

class PoolWorker {
  readonly worker: Worker;
  readonly sessions = new Map<number, Pending>();

  constructor(hashWasm: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasm } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; ack?: number; hex?: string; error?: string }) => {
      const s = this.sessions.get(m.id);
      if (s === undefined) return;
      if (m.ack !== undefined) {
        s.queued -= m.ack;
        if (s.queued <= MAX_QUEUED / 2) s.drained?.();
      } else if (m.hex !== undefined) {
        this.release(m.id);
        s.done?.resolve(m.hex);
      } else if (m.error !== undefined) {
        this.release(m.id);
        s.done?.reject(new CasIoError('hashing', { cause: new Error(m.error) }));
      }
    });
    this.worker.on('error', (error) => {
      for (const s of this.sessions.values()) s.done?.reject(new CasIoError('hashing', { cause: error }));
      this.sessions.clear();
      this.worker.unref();
    });
  }

  /** A worker with sessions keeps the process alive; an idle one does not. */
  hold(id: number, pending: Pending): void {
    this.sessions.set(id, pending);
    this.worker.ref();
  }

  release(id: number): void {
    this.sessions.delete(id);
    if (this.sessions.size === 0) this.worker.unref();
  }
}

/** One input being hashed in a worker: `update` in order, then `digest` once. */
export interface HashSession {
  update(chunk: Uint8Array): Promise<void>;
  digest(): Promise<BlobHash>;
  /** Drops the session (a put that failed). */
  abort(): void;
}

export class HashPool {
  readonly #size: number;
  readonly #workers: PoolWorker[] = [];
  readonly #hashWasm = createRequire(import.meta.url).resolve('hash-wasm');
  #next = 1;

  /** `size` workers, started on first use (default: CPUs − 1, at least 1). */
  constructor(size?: number) {
    this.#size = Math.max(1, size ?? availableParallelism() - 1);
  }

  session(): HashSession {
    const worker = this.#pick();
    const id = this.#next++;
    const pending: Pending = { queued: 0 };
    worker.hold(id, pending);
    return {
      update: async (chunk) => {
        pending.queued += chunk.byteLength;
        worker.worker.postMessage({ t: 'u', id, b: chunk });
        if (pending.queued > MAX_QUEUED) await new Promise<void>((resolve) => (pending.drained = resolve));
      },
      digest: () =>
        new Promise<BlobHash>((resolve, reject) => {
          pending.done = { resolve, reject };
          worker.worker.postMessage({ t: 'd', id });
        }),
      abort: () => {
        worker.release(id);
        worker.worker.postMessage({ t: 'x', id });
      },
    };
  }

  /** Ends every worker. */
  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #pick(): PoolWorker {
    if (this.#workers.length < this.#size) {
      const idle = this.#workers.find((w) => w.sessions.size === 0);
      if (idle !== undefined) return idle;
      const fresh = new PoolWorker(this.#hashWasm);
      this.#workers.push(fresh);
      return fresh;
    }
    return this.#workers.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }
}
