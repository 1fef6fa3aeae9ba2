/**
 * Where the content store keeps things under `<data_dir>/blobs/`: `data/<2>/<2>/<hash>` (the
 * seed's prefix sharding), `temp/` for writes in progress (named after the writing process,
 * so a restart removes exactly what dead writers left), `quarantine/` for corrupt blobs
 * kept for inspection, and `index.db`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobHash } from './types.js';

export class BlobLayout {
  readonly root: string;
  readonly data: string;
  readonly temp: string;
  readonly quarantine: string;
  readonly index: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    this.data = join(this.root, 'data');
    this.temp = join(this.root, 'temp');
    this.quarantine = join(this.root, 'quarantine');
    this.index = join(this.root, 'index.db');
  }

  async create(): Promise<void> {
    for (const dir of [this.data, this.temp, this.quarantine]) await mkdir(dir, { recursive: true });
  }

  shard(hash: BlobHash): string {
    return join(this.data, hash.slice(0, 2), hash.slice(2, 4));
  }

  blob(hash: BlobHash): string {
    return join(this.shard(hash), hash);
  }

  /** A fresh temp path of this process. */
  tempFile(suffix: string): string {
    return join(this.temp, `${process.pid}-${randomBytes(8).toString('hex')}.${suffix}`);
  }

  quarantined(hash: BlobHash, now: number): string {
    return join(this.quarantine, `${hash}.${now}`);
  }

  /** Removes temp files of processes that no longer run (a put killed midway); returns how many. */
  async sweepTemp(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.temp)) {
      const pid = Number(name.split('-')[0]);
      // this process's own files may belong to another store instance on the same directory
      if (Number.isInteger(pid) && (pid === process.pid || alive(pid))) continue;
      await rm(join(this.temp, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Every blob file under data/, as hashes. */
  async *files(): AsyncIterable<BlobHash> {
    for (const a of await readdir(this.data).catch(() => [])) {
      for (const b of await readdir(join(this.data, a)).catch(() => [])) {
        for (const name of await readdir(join(this.data, a, b)).catch(() => [])) yield name;
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
