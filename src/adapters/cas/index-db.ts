/**
 * The content store's index: hash → size, stored size, compression, reference count, pin,
 * first seen and last touch, plus the references between blobs and records.
 *
 * Why `node:sqlite`: it is built into Node 24 (no dependency, no native build), it is
 * transactional and crash-safe (WAL: a kill -9 loses at most an uncommitted put, never the
 * index), several processes can share it (the node and a `bzzz cas` command; its write lock
 * is what serialises a put's rename against gc across processes), and gc's "what does a root
 * reach" is one recursive query. Its calls are synchronous: each is a short indexed lookup.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { BlobCompression, BlobHash, BlobInfo } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (
  hash TEXT PRIMARY KEY, size INTEGER NOT NULL, stored_size INTEGER NOT NULL,
  compression TEXT NOT NULL, refcount INTEGER NOT NULL DEFAULT 0, pinned INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL, touched_at INTEGER NOT NULL, missing INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, dst)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_dst ON refs (dst);
CREATE TRIGGER IF NOT EXISTS refs_add AFTER INSERT ON refs
  BEGIN UPDATE blobs SET refcount = refcount + 1 WHERE hash = NEW.dst; END;
CREATE TRIGGER IF NOT EXISTS refs_remove AFTER DELETE ON refs
  BEGIN UPDATE blobs SET refcount = refcount - 1 WHERE hash = OLD.dst; END;
`;

/** Everything reachable from `?` (itself included) through references of blobs. */
const CLOSURE = `WITH RECURSIVE reach(h) AS (SELECT ? UNION
  SELECT r.dst FROM refs r JOIN reach ON r.src = 'blob:' || reach.h)`;

/** Blobs no root reaches: not pinned, not referenced by a record nor by a live blob. */
const DEAD = `WITH RECURSIVE live(h) AS (
  SELECT hash FROM blobs WHERE pinned = 1
  UNION SELECT dst FROM refs WHERE src NOT LIKE 'blob:%'
  UNION SELECT r.dst FROM refs r JOIN live ON r.src = 'blob:' || live.h)
SELECT hash FROM blobs WHERE touched_at < ? AND hash NOT IN (SELECT h FROM live) ORDER BY hash`;

interface Row {
  hash: string;
  size: number;
  stored_size: number;
  compression: string;
  refcount: number;
  pinned: number;
  first_seen: number;
  touched_at: number;
  missing: number;
}

/** A blob's row; `missing` when its file was quarantined and not yet repaired. */
export type IndexedBlob = BlobInfo & { missing: boolean };

const toInfo = (r: Row): IndexedBlob => ({
  hash: r.hash,
  size: r.size,
  storedSize: r.stored_size,
  compression: r.compression as BlobCompression,
  refs: r.refcount,
  pinned: r.pinned === 1,
  firstSeen: r.first_seen,
  touchedAt: r.touched_at,
  missing: r.missing === 1,
});

export class BlobIndex {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #touch: StatementSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path, { timeout: 10_000 });
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
    this.#get = this.#db.prepare('SELECT * FROM blobs WHERE hash = ?');
    this.#touch = this.#db.prepare(`${CLOSURE} UPDATE blobs SET touched_at = ? WHERE hash IN reach`);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Runs `fn` holding the database's write lock (across processes); rolls back on a throw. */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  get(hash: BlobHash): IndexedBlob | undefined {
    const row = this.#get.get(hash) as Row | undefined;
    return row === undefined ? undefined : toInfo(row);
  }

  /** Adds a blob (or marks a missing one present again), touched now. */
  upsert(
    blob: { hash: BlobHash; size: number; storedSize: number; compression: BlobCompression },
    now: number,
    pin: boolean,
  ): void {
    this.#db
      .prepare(
        `INSERT INTO blobs (hash, size, stored_size, compression, refcount, pinned, first_seen, touched_at)
         VALUES (?, ?, ?, ?, (SELECT count(*) FROM refs WHERE dst = ?), ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET stored_size = excluded.stored_size,
           compression = excluded.compression, missing = 0, touched_at = excluded.touched_at,
           pinned = max(pinned, excluded.pinned)`,
      )
      .run(blob.hash, blob.size, blob.storedSize, blob.compression, blob.hash, pin ? 1 : 0, now, now);
  }

  /** Touches the blob and everything it references (so a gc under way keeps them). */
  touch(hash: BlobHash, now: number): void {
    this.#touch.run(hash, now);
  }

  setPinned(hash: BlobHash, pinned: boolean): boolean {
    return (
      this.#db.prepare('UPDATE blobs SET pinned = ? WHERE hash = ?').run(pinned ? 1 : 0, hash).changes > 0
    );
  }

  setMissing(hash: BlobHash): void {
    this.#db.prepare('UPDATE blobs SET missing = 1 WHERE hash = ?').run(hash);
  }

  addRef(src: string, dst: BlobHash): void {
    this.#db.prepare('INSERT OR IGNORE INTO refs (src, dst) VALUES (?, ?)').run(src, dst);
  }

  removeRef(src: string, dst: BlobHash): void {
    this.#db.prepare('DELETE FROM refs WHERE src = ? AND dst = ?').run(src, dst);
  }

  /** Removes the row and the blob's own references to others. */
  remove(hash: BlobHash): boolean {
    this.#db.prepare('DELETE FROM refs WHERE src = ?').run(`blob:${hash}`);
    return this.#db.prepare('DELETE FROM blobs WHERE hash = ?').run(hash).changes > 0;
  }

  /** Up to `limit` rows after `after`, in hash order. */
  page(after: string, limit: number): IndexedBlob[] {
    const rows = this.#db
      .prepare('SELECT * FROM blobs WHERE hash > ? ORDER BY hash LIMIT ?')
      .all(after, limit) as unknown as Row[];
    return rows.map(toInfo);
  }

  /** Hashes no root reaches and untouched since `before`. */
  dead(before: number): BlobHash[] {
    return (this.#db.prepare(DEAD).all(before) as { hash: string }[]).map((r) => r.hash);
  }

  stats(): { blobs: number; bytes: number; storedBytes: number } {
    const r = this.#db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(size), 0) AS b, coalesce(sum(stored_size), 0) AS s FROM blobs WHERE missing = 0',
      )
      .get() as { n: number; b: number; s: number };
    return { blobs: r.n, bytes: r.b, storedBytes: r.s };
  }
}
