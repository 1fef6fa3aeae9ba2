/**
 * Compliance suite of the content store port (SPEC §13, issue 15): put/get/stat/has/delete,
 * streaming both ways, the empty blob and a 100 MB one, concurrent puts of one blob, hashes
 * that agree with Debian's reference `b3sum`, and verification on every read. It runs
 * unchanged against the `fs` store and the same store behind the Redis cache.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadHashError,
  BlobNotFoundError,
  CorruptBlobError,
  HashMismatchError,
  type ContentStore,
} from '../../src/adapters/cas/index.js';

export interface CasHarness {
  store: ContentStore;
  /** The data dir the store keeps `blobs/` in (the suite flips bytes there). */
  dataDir: string;
  close(): Promise<void>;
}

/** The reference hash of `bytes` from Debian's `b3sum`. */
export function b3sum(bytes: Uint8Array): string {
  return execFileSync('b3sum', ['--no-names'], { input: bytes, maxBuffer: 1024 }).toString().trim();
}

/** A path of the blob's file (layout of SPEC §13). */
export function blobPath(dataDir: string, hash: string): string {
  return join(dataDir, 'blobs', 'data', hash.slice(0, 2), hash.slice(2, 4), hash);
}

/** Flips one byte of a file in place. */
export async function flipByte(path: string, at = 0): Promise<void> {
  const bytes = await readFile(path);
  bytes[Math.min(at, bytes.length - 1)]! ^= 0xff;
  await writeFile(path, bytes);
}

const blocks = new Map<number, Buffer>();

/**
 * `total` incompressible bytes in `chunk`-sized pieces, generated as they are read; the same
 * `total`, `chunk` and `seed` give the same bytes.
 */
export function randomStream(total: number, chunk = 1024 * 1024, seed = 7): Readable {
  let sent = 0;
  const key = chunk * 256 + seed;
  const block = blocks.get(key) ?? randomBytes(chunk);
  blocks.set(key, block);
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk, total - sent);
      const piece = Buffer.from(block.subarray(0, n));
      piece.writeUInt32LE(sent / chunk, 4);
      sent += n;
      this.push(piece);
    },
  });
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

export function casCompliance(name: string, factory: () => Promise<CasHarness>): void {
  describe(`cas compliance: ${name}`, () => {
    let h: CasHarness;
    let scratch: string;
    beforeAll(async () => {
      h = await factory();
      scratch = await mkdtemp(join(tmpdir(), 'bzzz-cas-suite-'));
    });
    afterAll(async () => {
      await h.close();
      await rm(scratch, { recursive: true, force: true });
    });

    it('puts bytes, returns their BLAKE3-256 hash (as b3sum computes it) and gets them back', async () => {
      const bytes = randomBytes(200_000);
      const put = await h.store.put(bytes);
      expect(put).toEqual({ hash: b3sum(bytes), size: bytes.length, created: true });
      expect(Buffer.from(await h.store.get(put.hash)).equals(bytes)).toBe(true);
      expect(await h.store.has(put.hash)).toBe(true);
    });

    it('a second put of the same bytes is the same blob, not a new one', async () => {
      const bytes = Buffer.from('the same bytes twice');
      const first = await h.store.put(bytes);
      const second = await h.store.put(bytes);
      expect(second).toEqual({ ...first, created: false });
    });

    it('stat tells size, stored size, compression, pin and references', async () => {
      const text = Buffer.from('compressible text, '.repeat(5_000));
      const { hash } = await h.store.put(text);
      const info = await h.store.stat(hash);
      expect(info).toMatchObject({ hash, size: text.length, compression: 'zstd', pinned: false, refs: 0 });
      expect(info!.storedSize).toBeLessThan(text.length * 0.9);
      const noise = randomBytes(50_000);
      const raw = await h.store.stat((await h.store.put(noise)).hash);
      expect(raw).toMatchObject({ compression: 'raw', storedSize: noise.length });
      await h.store.pin(hash);
      await h.store.addRef('record:suite', hash);
      expect(await h.store.stat(hash)).toMatchObject({ pinned: true, refs: 1 });
    });

    it('the empty blob has the hash of no bytes', async () => {
      const put = await h.store.put(new Uint8Array(0));
      expect(put.hash).toBe(b3sum(new Uint8Array(0)));
      expect((await h.store.get(put.hash)).byteLength).toBe(0);
      expect(await h.store.stat(put.hash)).toMatchObject({ size: 0 });
    });

    it('streams a 100 MB blob in and out; its hash matches b3sum of the same file', async () => {
      const file = join(scratch, 'big');
      const total = 100 * 1024 * 1024;
      await writeFile(file, randomStream(total));
      let progress = 0;
      const put = await h.store.put(Readable.from(randomStream(total)), {
        onProgress: (n) => (progress = n),
      });
      expect(progress).toBe(total);
      expect(put.size).toBe(total);
      expect(put.hash).toBe(execFileSync('b3sum', ['--no-names', file]).toString().trim());
      let read = 0;
      for await (const chunk of await h.store.read(put.hash)) read += chunk.byteLength;
      expect(read).toBe(total);
    });

    it('concurrent puts of one blob all succeed and leave one whole blob', async () => {
      const bytes = randomBytes(3 * 1024 * 1024);
      const results = await Promise.all(Array.from({ length: 8 }, () => h.store.put(Readable.from([bytes]))));
      expect(new Set(results.map((r) => r.hash)).size).toBe(1);
      expect(results.filter((r) => r.created).length).toBe(1);
      expect(Buffer.from(await h.store.get(results[0]!.hash)).equals(bytes)).toBe(true);
    });

    it('delete removes a blob; get of an unknown blob is BlobNotFoundError', async () => {
      const { hash } = await h.store.put(Buffer.from('to be deleted'));
      expect(await h.store.delete(hash)).toBe(true);
      expect(await h.store.has(hash)).toBe(false);
      expect(await h.store.stat(hash)).toBeUndefined();
      await expect(h.store.get(hash)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await h.store.delete(hash)).toBe(false);
    });

    it('a string that is no hash is BadHashError on every call', async () => {
      for (const call of [
        () => h.store.get('xyz'),
        () => h.store.stat('ab'.repeat(31)),
        () => h.store.has('../../etc/passwd'),
        () => h.store.pin('Z'.repeat(64)),
      ])
        await expect(call()).rejects.toBeInstanceOf(BadHashError);
    });

    it('putVerified stores bytes only when they hash to the expected address', async () => {
      const bytes = randomBytes(10_000);
      const wrong = b3sum(Buffer.from('something else'));
      await expect(h.store.putVerified(wrong, bytes)).rejects.toBeInstanceOf(HashMismatchError);
      expect(await h.store.has(b3sum(bytes))).toBe(false);
      expect((await h.store.putVerified(b3sum(bytes), bytes)).created).toBe(true);
    });

    it('verifies on read: a flipped byte on disk is CorruptBlobError, never the wrong bytes', async () => {
      const bytes = randomBytes(300_000);
      const { hash } = await h.store.put(bytes);
      await flipByte(blobPath(h.dataDir, hash), 1234);
      await expect(h.store.get(hash)).rejects.toBeInstanceOf(CorruptBlobError);
      expect(await h.store.has(hash)).toBe(false);
      const again = await h.store.put(bytes);
      expect(Buffer.from(await h.store.get(again.hash)).equals(bytes)).toBe(true);
    });

    it('a corrupt blob read as a stream ends in CorruptBlobError', async () => {
      const bytes = randomBytes(2 * 1024 * 1024);
      const { hash } = await h.store.put(bytes);
      await flipByte(blobPath(h.dataDir, hash), 2 * 1024 * 1024 - 10);
      await expect(collect(await h.store.read(hash))).rejects.toBeInstanceOf(CorruptBlobError);
    });

    it('lists every blob it holds in hash order', async () => {
      const hashes: string[] = [];
      for await (const info of h.store.list()) hashes.push(info.hash);
      expect(hashes).toEqual([...hashes].sort());
      expect(hashes.length).toBe((await h.store.stats()).blobs);
      expect(hashes).toContain(b3sum(new Uint8Array(0)));
    });
  });
}
