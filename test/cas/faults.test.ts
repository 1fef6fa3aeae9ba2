/**
 * The content store under faults: kill -9 in the middle of a put (nothing partial visible,
 * the store consistent after restart), a crash between rename and index (the file adopted by
 * verify), a full disk (a small tmpfs: a clear error, nothing corrupt) and Redis killed or
 * frozen mid-run (reads continue from disk, health degraded, then recovered).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFullError } from '../../src/adapters/cas/index.js';
import { b3sum, blobPath } from '../compliance/cas.js';
import { eventually } from '../helpers/cli.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { openStore } from './support.js';

const CHILD = fileURLToPath(new URL('./put-child.ts', import.meta.url));

describe('kill -9 during a put', () => {
  it('leaves no partial blob; after restart the store is consistent and takes puts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bzzz-cas-crash-'));
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CHILD, dataDir, 'finished before the crash'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await eventually(() => (out.includes('written 8\n') ? true : undefined), 60_000, 'the child writing');
      expect(await readdir(join(dataDir, 'blobs', 'temp'))).not.toEqual([]);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      const opened = await openStore({ dataDir });
      const store = opened.store;
      try {
        expect(await readdir(join(dataDir, 'blobs', 'temp'))).toEqual([]);
        const hashes: string[] = [];
        for await (const info of store.list()) hashes.push(info.hash);
        expect(hashes).toEqual([b3sum(Buffer.from('finished before the crash'))]);
        expect(await store.verify()).toMatchObject({ checked: 1, corrupt: [], missing: [], adopted: [] });
        const after = await store.put(randomBytes(3 * 1024 * 1024));
        expect(await store.has(after.hash)).toBe(true);
      } finally {
        await opened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a blob file renamed into place but never indexed is adopted by verify', async () => {
    const source = await openStore();
    const target = await openStore();
    try {
      const bytes = Buffer.from('renamed, then the process died\n'.repeat(1000));
      const { hash } = await source.store.put(bytes);
      await mkdir(join(blobPath(target.dataDir, hash), '..'), { recursive: true });
      await copyFile(blobPath(source.dataDir, hash), blobPath(target.dataDir, hash));
      expect(await target.store.has(hash)).toBe(false);
      expect((await target.store.verify()).adopted).toEqual([hash]);
      expect(Buffer.from(await target.store.get(hash)).equals(bytes)).toBe(true);
    } finally {
      await source.close();
      await target.close();
    }
  });
});

describe('a full disk', () => {
  let mount: string;
  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('the disk-full test mounts a tmpfs and must run as root (CI does)');
    mount = await mkdtemp(join(tmpdir(), 'bzzz-cas-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  });
  afterAll(async () => {
    execFileSync('umount', [mount]);
    await rm(mount, { recursive: true, force: true });
  });

  it('a put that does not fit fails with StoreFullError; what was stored stays whole', async () => {
    const opened = await openStore({ dataDir: mount });
    const store = opened.store;
    try {
      const kept = randomBytes(1024 * 1024);
      const { hash } = await store.put(kept);
      const error = await store.put(randomBytes(6 * 1024 * 1024)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreFullError);
      expect((error as Error).message).toContain('no space left');
      expect(await readdir(join(mount, 'blobs', 'temp'))).toEqual([]);
      expect((await store.stats()).blobs).toBe(1);
      expect(Buffer.from(await store.get(hash)).equals(kept)).toBe(true);
      expect(await store.verify()).toMatchObject({ checked: 1, corrupt: [], missing: [] });
      expect((await store.put(Buffer.from('small still fits'))).created).toBe(true);
    } finally {
      await opened.close();
    }
  });
});

describe('Redis killed or frozen mid-run', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  it('reads continue from disk, health says degraded, and recovers with Redis', async () => {
    const opened = await openStore({ redisUrl: redis.url, cacheTimeoutMs: 200 });
    const store = opened.store;
    try {
      const blobs = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const bytes = Buffer.from(`blob ${i} `.repeat(50));
          return { bytes, hash: (await store.put(bytes)).hash };
        }),
      );
      const readAll = async (): Promise<void> => {
        for (const b of blobs) expect(Buffer.from(await store.get(b.hash)).equals(b.bytes)).toBe(true);
      };
      await readAll();
      expect(store.health().status).toBe('ok');
      await redis.kill();
      await readAll();
      expect(store.health()).toMatchObject({ status: 'degraded' });
      await redis.restart();
      await eventually(
        async () => (await store.stat(blobs[0]!.hash), store.health().status === 'ok' || undefined),
        30_000,
        'the cache back',
      );
      await readAll();
      redis.pause();
      await readAll();
      expect(store.health()).toMatchObject({ status: 'degraded' });
      redis.resume();
      await eventually(
        async () => (await store.stat(blobs[1]!.hash), store.health().status === 'ok' || undefined),
        30_000,
        'the cache answering again',
      );
    } finally {
      await opened.close();
    }
  });
});
