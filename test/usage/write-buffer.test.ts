/**
 * The usage store's write buffer on a simulated clock: a write the database cannot take waits
 * and is retried with exponential backoff (capped), later writes queue behind it, a full buffer
 * drops its oldest, a write the database refuses for its data is dropped instead of holding up
 * the rest, and stopping makes one last attempt and counts what it could not write.
 */
import { describe, expect, it } from 'vitest';
import { NonRetryableError, SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { WriteBuffer } from '../../src/adapters/usage/write-buffer.js';
import { usageRecord } from '../compliance/usage.js';

type Write = ConstructorParameters<typeof WriteBuffer>[0];
type Item = Parameters<Write>[0][number];

/** A database that is up or down, refuses ids it is told to, and keeps what it took. */
function fakeDatabase() {
  const db = { up: true, refused: new Set<string>(), rows: [] as string[], attempts: [] as number[] };
  const write: Write = (batch) => {
    db.attempts.push(batch.length);
    if (!db.up) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (batch.some((w) => db.refused.has(w.record.id)))
      return Promise.reject(new NonRetryableError('value out of range'));
    db.rows.push(...batch.map((w) => w.record.id));
    return Promise.resolve();
  };
  return { db, write };
}

const item = (id: string): Item => ({ kind: 'usage', record: usageRecord({ id }) });

function setup(capacity = 100) {
  const clock = new SimulatedClock();
  const { db, write } = fakeDatabase();
  const buffer = new WriteBuffer(
    write,
    { capacity, batchSize: 2, baseDelayMs: 100, maxDelayMs: 800 },
    { clock, logger: silentLogger(), describe: (e) => (e as Error).message },
  );
  return { clock, db, buffer };
}

describe('the usage write buffer', () => {
  it('retries with capped exponential backoff and writes in order once the database is back', async () => {
    const { clock, db, buffer } = setup();
    db.up = false;
    await buffer.submit(item('a'));
    await buffer.submit(item('b'));
    await buffer.submit(item('c'));
    expect(buffer.pending.map((w) => w.record.id)).toEqual(['a', 'b', 'c']);
    expect(buffer.problem).toBe('connect ECONNREFUSED');
    // one direct attempt, then retries after 100, 200, 400, 800, 800 ms
    expect(db.attempts).toEqual([1]);
    await clock.advance(99);
    expect(db.attempts).toHaveLength(1);
    await clock.advance(1);
    await clock.advance(200);
    await clock.advance(400);
    await clock.advance(800);
    expect(db.attempts).toHaveLength(5);
    await clock.advance(799);
    expect(db.attempts).toHaveLength(5);
    db.up = true;
    await clock.advance(1);
    expect(db.rows).toEqual(['a', 'b', 'c']);
    expect(buffer.pending).toHaveLength(0);
    expect(buffer.problem).toBeUndefined();
    // healthy again: the next write goes straight through
    await buffer.submit(item('d'));
    expect(db.rows).toEqual(['a', 'b', 'c', 'd']);
  });

  it('drops the oldest writes past its capacity and counts them', async () => {
    const { clock, db, buffer } = setup(3);
    db.up = false;
    for (const id of ['a', 'b', 'c', 'd', 'e']) await buffer.submit(item(id));
    expect(buffer.pending.map((w) => w.record.id)).toEqual(['c', 'd', 'e']);
    expect(buffer.dropped).toBe(2);
    db.up = true;
    await clock.advance(100);
    expect(db.rows).toEqual(['c', 'd', 'e']);
  });

  it('counts the batch being retried as pending and never drops it', async () => {
    const clock = new SimulatedClock();
    let release: (() => void) | undefined;
    let calls = 0;
    const rows: string[] = [];
    const buffer = new WriteBuffer(
      (batch) => {
        // the first (direct) write fails: the database is down
        if (++calls === 1) return Promise.reject(new Error('connect ECONNREFUSED'));
        // the first retry hangs until released, as a connection to a slow server does
        const written = () => void rows.push(...batch.map((w) => w.record.id));
        if (calls > 2) return Promise.resolve(written());
        return new Promise<void>((resolve) => (release = () => resolve(written())));
      },
      { capacity: 2, batchSize: 10, baseDelayMs: 100, maxDelayMs: 800 },
      { clock, logger: silentLogger(), describe: (e) => (e as Error).message },
    );
    await buffer.submit(item('a'));
    await clock.advance(100);
    expect(release).toBeDefined();
    await buffer.submit(item('b'));
    await buffer.submit(item('c'));
    expect(buffer.pending.map((w) => w.record.id)).toEqual(['a', 'c']);
    expect(buffer.dropped).toBe(1);
    release?.();
    await clock.advance(0);
    expect(rows).toEqual(['a', 'c']);
    expect(buffer.pending).toHaveLength(0);
  });

  it('drops a write the database refuses, and writes the rest of its batch', async () => {
    const { clock, db, buffer } = setup();
    db.refused.add('bad');
    await buffer.submit(item('bad'));
    expect(buffer.dropped).toBe(1);
    expect(buffer.problem).toBeUndefined();
    db.up = false;
    for (const id of ['a', 'bad', 'b', 'c']) await buffer.submit(item(id));
    db.up = true;
    await clock.advance(100);
    expect(db.rows).toEqual(['a', 'b', 'c']);
    expect(buffer.dropped).toBe(2);
    expect(buffer.pending).toHaveLength(0);
  });

  it('on close, tries once more and counts what it could not write', async () => {
    const { db, buffer } = setup();
    db.up = false;
    await buffer.submit(item('a'));
    await buffer.submit(item('b'));
    await buffer.close();
    expect(buffer.dropped).toBe(2);
    expect(buffer.pending).toHaveLength(0);
    await buffer.submit(item('c'));
    expect(buffer.dropped).toBe(3);
    expect(db.rows).toEqual([]);
  });
});
