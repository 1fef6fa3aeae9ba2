import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import { ReplayGuard } from '../../src/protocol/index.js';

describe('ReplayGuard', () => {
  it('accepts an id once within the window', () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock });
    expect(guard.check('a', clock.now())).toBe('fresh');
    expect(guard.check('a', clock.now())).toBe('replayed');
    expect(guard.check('b', clock.now())).toBe('fresh');
  });

  it('forgets ids once their messages are too old to be accepted anyway', async () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock, windowMs: 1_000 });
    const sent = clock.now();
    for (let i = 0; i < 100; i++) guard.check(`id-${i}`, sent);
    expect(guard.size).toBe(100);
    await clock.advance(1_001);
    expect(guard.check('id-0', sent)).toBe('stale');
    expect(guard.check('new', clock.now())).toBe('fresh');
    expect(guard.size).toBe(1);
  });

  it('keeps at most its capacity of ids', () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock, capacity: 10 });
    for (let i = 0; i < 1_000; i++) guard.check(`id-${i}`, clock.now());
    expect(guard.size).toBe(10);
    expect(guard.check('id-999', clock.now())).toBe('replayed');
    expect(guard.check('id-0', clock.now())).toBe('fresh');
  });

  it('remembers an id seen again after capacity pushed it out, for its new window', async () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock, capacity: 2, windowMs: 1_000 });
    expect(guard.check('a', clock.now())).toBe('fresh');
    expect(guard.check('b', clock.now())).toBe('fresh');
    expect(guard.check('c', clock.now())).toBe('fresh'); // pushes a out
    await clock.advance(500);
    expect(guard.check('a', clock.now())).toBe('fresh'); // a again, pushes b out
    expect(guard.size).toBe(2);
    await clock.advance(600); // c is stale now, a (seen again at 500) is not
    expect(guard.check('d', clock.now())).toBe('fresh');
    expect(guard.check('a', clock.now())).toBe('replayed');
    expect(guard.size).toBe(2);
  });

  it('stays fast and bounded over a long stream at capacity', () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock, capacity: 1_000 });
    for (let i = 0; i < 200_000; i++) expect(guard.check(`id-${i}`, clock.now())).toBe('fresh');
    expect(guard.size).toBe(1_000);
    expect(guard.check('id-199999', clock.now())).toBe('replayed');
    expect(guard.check('id-198999', clock.now())).toBe('fresh');
  });

  it('refuses timestamps too far ahead or not numbers', () => {
    const clock = new SimulatedClock();
    const guard = new ReplayGuard({ clock, skewMs: 1_000 });
    expect(guard.check('a', clock.now() + 1_001)).toBe('stale');
    expect(guard.check('b', Number.NaN)).toBe('stale');
    expect(guard.check('c', clock.now() + 999)).toBe('fresh');
  });
});
