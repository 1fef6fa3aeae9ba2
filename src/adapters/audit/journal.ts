/**
 * The journal: every entry blob of this node's chain, in order, each framed by its length
 * (4 bytes, little-endian). Appends are one write and one fdatasync per batch (group commit);
 * the head file, moved after, says how many of its bytes the chain covers, so whatever lies
 * beyond (an append a kill -9 interrupted) is cut off at the next start. It is the log's own
 * index: a verify or a `show --task` reads one file, not the whole content store, and still
 * hashes the very bytes each blob is made of.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_AUDIT_ENTRY_BYTES } from '../../protocol/audit.js';
import { syncDir } from './files.js';
import { dirname } from 'node:path';

/** Bytes of a record's length prefix. */
export const FRAME_HEADER = 4;
const HEADER = FRAME_HEADER;
const CHUNK = 1024 * 1024;

/** One record: where it starts and its bytes (an entry blob). */
export interface JournalRecord {
  offset: number;
  bytes: Buffer;
}

/** The records' frames, one buffer. */
export function frameRecords(blobs: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(blobs.reduce((sum, b) => sum + HEADER + b.byteLength, 0));
  let at = 0;
  for (const blob of blobs) {
    out.writeUInt32LE(blob.byteLength, at);
    out.set(blob, at + HEADER);
    at += HEADER + blob.byteLength;
  }
  return out;
}

/** The bytes a record takes in the journal. */
export const framedSize = (blob: Uint8Array): number => HEADER + blob.byteLength;

/**
 * Reads a journal's records in order. After the loop, `end` is the offset after the last whole
 * record read, `torn` says whether bytes that are no whole record followed it (before the
 * limit), and `beyond` counts the file's bytes past the limit.
 */
export class JournalReader {
  end = 0;
  torn = false;
  size = 0;
  beyond = 0;

  constructor(
    readonly path: string,
    /** Stop at this offset (the head's journal length); default the whole file. */
    readonly limit = Number.POSITIVE_INFINITY,
  ) {}

  async *records(): AsyncGenerator<JournalRecord> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      this.size = (await file.stat()).size;
      this.beyond = Math.max(0, this.size - this.limit);
      const stop = Math.min(this.size, this.limit);
      let carry = Buffer.alloc(0);
      let base = 0; // file offset of carry[0]
      while (base + carry.length < stop) {
        const want = Math.min(CHUNK, stop - base - carry.length);
        const chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = await file.read(chunk, 0, want, base + carry.length);
        if (bytesRead === 0) break;
        const buffer =
          carry.length === 0
            ? chunk.subarray(0, bytesRead)
            : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        let at = 0;
        for (;;) {
          if (buffer.length - at < HEADER) break;
          const length = buffer.readUInt32LE(at);
          if (length === 0 || length > MAX_AUDIT_ENTRY_BYTES) {
            this.torn = true;
            return;
          }
          if (buffer.length - at < HEADER + length) break;
          yield { offset: base + at, bytes: buffer.subarray(at + HEADER, at + HEADER + length) };
          at += HEADER + length;
          this.end = base + at;
        }
        carry = buffer.subarray(at);
        base += at;
      }
      this.torn = this.end < stop;
    } finally {
      await file.close();
    }
  }
}

/** The journal as the appender holds it open. */
export class JournalWriter {
  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<JournalWriter> {
    const file = await open(path, 'a+', 0o644);
    if ((await file.stat()).size === 0) await syncDir(dirname(path));
    return new JournalWriter(file);
  }

  /** Appends framed records and makes them durable (one fdatasync). */
  async append(frames: Buffer): Promise<void> {
    await this.file.write(frames);
    await this.file.datasync();
  }

  /** Cuts the journal back to `length` bytes (an append whose head did not move). */
  async truncate(length: number): Promise<void> {
    await this.file.truncate(length);
    await this.file.datasync();
  }

  async size(): Promise<number> {
    return (await this.file.stat()).size;
  }

  /** `length` bytes from `offset`. */
  async read(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.file.read(out, 0, length, offset);
    return out.subarray(0, bytesRead);
  }

  /** The records (entry blobs) from `start` to `end` (offsets of whole records). */
  async records(start: number, end: number): Promise<Buffer[]> {
    const bytes = await this.read(start, end - start);
    const out: Buffer[] = [];
    for (let at = 0; at + HEADER <= bytes.length;) {
      const length = bytes.readUInt32LE(at);
      out.push(bytes.subarray(at + HEADER, at + HEADER + length));
      at += HEADER + length;
    }
    return out;
  }

  /** The record (entry blob) at `offset`. */
  async record(offset: number): Promise<Buffer> {
    const header = await this.read(offset, HEADER);
    return this.read(offset + HEADER, header.readUInt32LE(0));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
