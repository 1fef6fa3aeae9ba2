// The history checker on hand-written histories: it accepts a clean one and names each kind
// of violation it exists to catch.
import { describe, expect, it } from 'vitest';
import { checkHistory, type DoneMarker, type HistoryEvent } from './history-checker.js';

const KEY = 'local:demo/app#1';

function clean(): { events: HistoryEvent[]; markers: Map<string, DoneMarker[]> } {
  const events: HistoryEvent[] = [
    { type: 'acquire', w: 'a', key: KEY, token: 1, at: 1_005, sentAt: 1_000, expiresAt: 2_000 },
    { type: 'renew', w: 'a', key: KEY, token: 1, at: 1_400, expiresAt: 2_390 },
    { type: 'effect', w: 'a', key: KEY, token: 1, at: 2_100 },
    // a is killed; b takes over after a's renewed lease ran out.
    { type: 'acquire', w: 'b', key: KEY, token: 5, at: 2_510, sentAt: 2_500, expiresAt: 3_500 },
    { type: 'effect', w: 'b', key: KEY, token: 5, at: 2_700 },
    { type: 'finish', w: 'b', key: KEY, token: 5, at: 2_800 },
    { type: 'release', w: 'b', key: KEY, token: 5, at: 2_810, ok: true },
  ];
  return { events, markers: new Map([[KEY, [{ holder: 'b', token: 5, at: 2_800 }]]]) };
}

describe('history checker', () => {
  it('accepts a history that keeps every rule', () => {
    const result = checkHistory({ keys: [KEY], ...clean(), toleranceMs: 0 });
    expect(result.violations).toEqual([]);
    expect(result.stats).toMatchObject({ grants: 2, effects: 2, renewals: 1, finished: 1 });
  });

  it('reports two grants whose validity overlaps', () => {
    const h = clean();
    h.events.push({
      type: 'acquire',
      w: 'c',
      key: KEY,
      token: 7,
      at: 2_705,
      sentAt: 2_700,
      expiresAt: 3_700,
    });
    const result = checkHistory({ keys: [KEY], ...h, toleranceMs: 0 });
    expect(result.violations.map((v) => v.rule)).toContain('exclusion');
  });

  it('reports an effect made under a token older than the newest grant', () => {
    const h = clean();
    h.events.push({ type: 'effect', w: 'a', key: KEY, token: 1, at: 2_600 });
    const rules = checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations.map((v) => v.rule);
    expect(rules).toEqual(['fencing', 'fencing']); // after a newer grant, and outside its own
  });

  it('reports a task finished twice, or never', () => {
    const h = clean();
    h.markers.get(KEY)!.push({ holder: 'b', token: 5, at: 2_805 });
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations).toEqual([
      { rule: 'finished-once', key: KEY, detail: 'finished 2 times' },
    ]);
    const never = checkHistory({ keys: [KEY, 'local:demo/app#2'], ...clean(), toleranceMs: 0 });
    expect(never.violations.map((v) => v.key)).toEqual(['local:demo/app#2']);
  });

  it('reports a done marker written under a token never granted to its writer', () => {
    const h = clean();
    h.markers.set(KEY, [{ holder: 'a', token: 5, at: 2_800 }]);
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations.map((v) => v.rule)).toEqual([
      'fencing',
    ]);
  });
});
