/**
 * The node's name table: every task name record this node published and every valid one it
 * received (pushed by a peer, found in the KV bucket or the DHT), in `<data_dir>/names/names.db`
 * (node:sqlite, WAL, like the content store's index: crash-safe, and a command such as
 * `bzzz resolve` reads it while the node runs or after it is gone). One row per name (node and
 * path), the newest record: of two, the higher `seq` wins, at equal `seq` the greater wire
 * bytes, as everywhere (name-record.ts). Rows hold the record's wire bytes; a reader checks them
 * again (a file on disk is one more place a record comes from). Learned rows are bounded: past
 * `maxLearned` the oldest learned one goes; own rows stay.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  encodeNameRecord,
  nameOfRecord,
  parseTaskRecordPath,
  type NameRecord,
  type TaskArtifact,
} from '../../protocol/index.js';
import { NameTableClosedError } from './errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS names (
  node TEXT NOT NULL, path TEXT NOT NULL, name_id TEXT NOT NULL, artifact TEXT NOT NULL,
  seq INTEGER NOT NULL, wire BLOB NOT NULL, own INTEGER NOT NULL,
  PRIMARY KEY (node, path)
);
CREATE INDEX IF NOT EXISTS names_task ON names (name_id, artifact);
`;

interface Row {
  seq: number;
  wire: Uint8Array;
  own: number;
}

export interface NameTableInit {
  /** The database file (`<data_dir>/names/names.db`). */
  path: string;
  /** Learned records kept at most (default 100,000). */
  maxLearned?: number;
}

interface Statements {
  get: StatementSync;
  put: StatementSync;
  task: StatementSync;
  evict: StatementSync;
}

export class SqliteNameTable {
  readonly path: string;
  readonly #maxLearned: number;
  #db: DatabaseSync | undefined;
  #statements: Statements | undefined;
  #learned = 0;

  constructor(init: NameTableInit) {
    this.path = init.path;
    this.#maxLearned = init.maxLearned ?? 100_000;
  }

  get open(): boolean {
    return this.#db !== undefined;
  }

  /** Opens (and creates) the database. Safe to call twice. */
  start(): Promise<void> {
    if (this.#db !== undefined) return Promise.resolve();
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new DatabaseSync(this.path, { timeout: 10_000 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    db.exec(SCHEMA);
    this.#statements = {
      get: db.prepare('SELECT seq, wire, own FROM names WHERE node = ? AND path = ?'),
      put: db.prepare(
        'INSERT OR REPLACE INTO names (node, path, name_id, artifact, seq, wire, own) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      task: db.prepare('SELECT wire FROM names WHERE name_id = ? AND artifact = ? ORDER BY seq DESC'),
      evict: db.prepare(
        'DELETE FROM names WHERE rowid = (SELECT rowid FROM names WHERE own = 0 ORDER BY rowid LIMIT 1)',
      ),
    };
    const counted = db.prepare('SELECT count(*) AS n FROM names WHERE own = 0').get() as { n: number };
    this.#learned = counted.n;
    this.#db = db;
    return Promise.resolve();
  }

  /** Closes the database. Safe to call twice. */
  stop(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#statements = undefined;
    if (db?.isOpen === true) db.close();
    return Promise.resolve();
  }

  /**
   * Keeps a checked record of a task name unless a newer one of its name is held; true when
   * kept. `own`: this node signed it (an own row stays own).
   */
  offer(record: NameRecord, own: boolean): boolean {
    const statements = this.#open();
    const parsed = parseTaskRecordPath(nameOfRecord(record).path);
    if (parsed === undefined) return false;
    const wire = encodeNameRecord(record);
    const held = statements.get.get(record.node, record.path) as Row | undefined;
    if (held !== undefined) {
      const newer = record.seq > held.seq || (record.seq === held.seq && Buffer.compare(wire, held.wire) > 0);
      if (!newer) return false;
    }
    const keepOwn = own || held?.own === 1;
    statements.put.run(
      record.node,
      record.path,
      parsed.nameId,
      parsed.artifact,
      record.seq,
      wire,
      keepOwn ? 1 : 0,
    );
    if (held === undefined && !keepOwn) this.#learned++;
    else if (held !== undefined && held.own === 0 && keepOwn) this.#learned--;
    while (this.#learned > this.#maxLearned) {
      statements.evict.run();
      this.#learned--;
    }
    return true;
  }

  /** The records held for an artifact of the task `nameId`, as wire bytes, highest `seq` first. */
  records(nameId: string, artifact: TaskArtifact): Uint8Array[] {
    const rows = this.#open().task.all(nameId, artifact) as { wire: Uint8Array }[];
    return rows.map((row) => row.wire);
  }

  /** The `seq` of the record held for a name (0: none), so a new one goes past it. */
  lastSeq(node: string, path: string): number {
    const held = this.#open().get.get(node, path) as Row | undefined;
    return held?.seq ?? 0;
  }

  #open(): Statements {
    const statements = this.#statements;
    if (statements === undefined) throw new NameTableClosedError(this.path);
    return statements;
  }
}
