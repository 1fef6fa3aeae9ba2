/**
 * The lease table of the forge claim store on disk: one file per key in one directory,
 * replaced only by an atomic rename (a reader needs no lock and sees the old record or the
 * new one), changed only under the key's lock.
 *
 * The lock is proper-lockfile's lock directory `<file>.lock`, as for the local forge's own
 * files: it works across processes, its holder refreshes its mtime, and a lock left by a killed
 * process is taken over once it is `staleMs` old. Inside one process a queue per file comes
 * first, so callers in one process wait on a promise instead of polling the lock directory, and
 * proper-lockfile's registry (one per process, by file) never sees two holders of one file.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { ulid } from 'ulid';
import type { Logger } from '../../lib/index.js';
import { ClaimStoreUnavailableError } from './errors.js';
import { LEASE_SUFFIX, leaseFileName, parseRecord, type ForgeLeaseRecord } from './forge-record.js';

export interface LeaseFilesOptions {
  /** The table's directory, created on open. */
  dir: string;
  /** Age after which a lock directory counts as left by a dead process (proper-lockfile: >= 2000). */
  staleMs: number;
  logger: Logger;
}

/** Proof that the caller holds a key's lock, and whether proper-lockfile has since lost it. */
export interface HeldLock {
  readonly file: string;
  compromised: Error | undefined;
}

const TEMP = /^\..+\.tmp$/;
/** Per-process queues by lease file: shared by every store of the process, as the lock registry is. */
const queues = new Map<string, Promise<void>>();

/** Locked, atomic reads and writes of the lease files in one directory. */
export class LeaseFiles {
  readonly dir: string;
  readonly #staleMs: number;
  readonly #logger: Logger;

  constructor(options: LeaseFilesOptions) {
    this.dir = options.dir;
    this.#staleMs = options.staleMs;
    this.#logger = options.logger;
  }

  /** The path of the file that keeps the lease on `key`. */
  fileOf(key: string): string {
    return join(this.dir, leaseFileName(key));
  }

  /**
   * Creates the directory and deletes temporary files older than the stale age: left by a
   * writer killed between its write and its rename (a live writer renames well within it).
   */
  async open(): Promise<void> {
    await this.#io('open', async () => {
      await mkdir(this.dir, { recursive: true });
      const oldest = Date.now() - this.#staleMs;
      for (const name of await readdir(this.dir)) {
        if (!TEMP.test(name)) continue;
        const path = join(this.dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined && info.mtimeMs < oldest) await rm(path, { force: true });
      }
    });
  }

  /** The record of `key`, or null when the key was never claimed. */
  async read(key: string): Promise<ForgeLeaseRecord | null> {
    return this.#readFile(this.fileOf(key), key);
  }

  /** Every record in the table (held, expired and released). */
  async all(): Promise<ForgeLeaseRecord[]> {
    const names = await this.#io('list', async () => {
      try {
        return await readdir(this.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    });
    const records: ForgeLeaseRecord[] = [];
    for (const name of names.filter((n) => n.endsWith(LEASE_SUFFIX)).sort()) {
      const record = await this.#readFile(join(this.dir, name), undefined);
      if (record !== null) records.push(record);
    }
    return records;
  }

  /** Runs `fn` holding the lock of `key`'s file, first in this process, then across processes. */
  async withLock<T>(key: string, operation: string, fn: (held: HeldLock) => Promise<T>): Promise<T> {
    const file = this.fileOf(key);
    const previous = queues.get(file) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    queues.set(file, tail);
    await previous;
    try {
      return await this.#withFileLock(file, operation, fn);
    } finally {
      done();
      if (queues.get(file) === tail) queues.delete(file);
    }
  }

  /**
   * Replaces the file of `record.key` by an atomic rename; call under its lock. Refuses when
   * the lock was declared compromised (this process stalled past the stale age, so another may
   * have taken it): then nothing is written.
   */
  async write(held: HeldLock, record: ForgeLeaseRecord): Promise<void> {
    const file = this.fileOf(record.key);
    if (held.file !== file) throw new Error(`bug: writing ${file} under the lock of ${held.file}`);
    const temp = join(this.dir, `.${leaseFileName(record.key)}.${ulid()}.tmp`);
    await this.#io('write', async () => {
      await writeFile(temp, `${JSON.stringify(record)}\n`);
      if (held.compromised !== undefined) {
        await rm(temp, { force: true });
        throw held.compromised;
      }
      await rename(temp, file);
    });
  }

  async #withFileLock<T>(file: string, operation: string, fn: (held: HeldLock) => Promise<T>): Promise<T> {
    const held: HeldLock = { file, compromised: undefined };
    const unlock = await this.#io(operation, async () => {
      await mkdir(this.dir, { recursive: true });
      return lock(file, {
        realpath: false,
        stale: this.#staleMs,
        // enough attempts to outlast a stale lock twice over: up to ~50 ms apart
        retries: {
          retries: Math.ceil((2 * this.#staleMs) / 50) + 20,
          minTimeout: 2,
          maxTimeout: 50,
          factor: 1.5,
          randomize: true,
        },
        onCompromised: (error) => {
          // The default throws from a timer, which would kill the process.
          held.compromised = error;
          this.#logger.error({ err: error, lock: `${file}.lock` }, 'claim store lock compromised');
        },
      });
    });
    try {
      return await fn(held);
    } finally {
      await unlock().catch((error: unknown) => {
        this.#logger.warn({ err: error, lock: `${file}.lock` }, 'claim store unlock failed');
      });
    }
  }

  async #readFile(file: string, key: string | undefined): Promise<ForgeLeaseRecord | null> {
    const text = await this.#io('read', async () => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    });
    return text === null ? null : parseRecord(file, key, text);
  }

  /** Runs file-system work; any failure of it is the store being unavailable, not a verdict. */
  async #io<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new ClaimStoreUnavailableError(operation, { cause: error });
    }
  }
}
