// The history checker on hand-written histories: it accepts a clean one and names each kind
// of violation it exists to catch.
import { describe, expect, it } from 'vitest';
import { checkHistory, type AppliedEffect, type HistoryEvent } from './history-checker.js';

const KEY = 'local:demo/app#1';

function clean(): { events: HistoryEvent[]; applied: Map<string, AppliedEffect[]> } {
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
  const applied: AppliedEffect[] = [
    { kind: 'effect', holder: 'a', token: 1, at: 2_100 },
    { kind: 'effect', holder: 'b', token: 5, at: 2_700 },
    { kind: 'finish', holder: 'b', token: 5, at: 2_800 },
  ];
  return { events, applied: new Map([[KEY, applied]]) };
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
    h.applied.get(KEY)!.push({ kind: 'finish', holder: 'b', token: 5, at: 2_805 });
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations).toEqual([
      { rule: 'finished-once', key: KEY, detail: 'finished 2 times' },
    ]);
    const never = checkHistory({ keys: [KEY, 'local:demo/app#2'], ...clean(), toleranceMs: 0 });
    expect(never.violations.map((v) => v.key)).toEqual(['local:demo/app#2']);
  });

  it('reports a finish applied under a token never granted to its writer', () => {
    const h = clean();
    h.applied.set(KEY, [{ kind: 'finish', holder: 'a', token: 5, at: 2_800 }]);
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations.map((v) => v.rule)).toEqual([
      'fencing',
    ]);
  });

  it('reports an effect the resource applied after one with a newer token, also when pauses lift the wall-clock rule', () => {
    const h = clean();
    // a paused after its check; b took over and acted; a woke up and its effect was applied
    h.events.push({ type: 'effect', w: 'a', key: KEY, token: 1, at: 2_750 });
    h.applied.get(KEY)!.splice(2, 0, { kind: 'effect', holder: 'a', token: 1, at: 2_750 });
    const result = checkHistory({ keys: [KEY], ...h, toleranceMs: 0, clientFencing: false });
    expect(result.violations).toEqual([
      {
        rule: 'stale-effect',
        key: KEY,
        detail: 'effect by a under token 1 applied at 2750, after effect by b under token 5',
      },
    ]);
  });

  it('accepts, with pauses, a late effect the resource applied before any newer one', () => {
    const h = clean();
    // a woke up after b's grant but acted before b did: the resource's order is intact
    h.events.push({ type: 'effect', w: 'a', key: KEY, token: 1, at: 2_600 });
    h.applied.get(KEY)!.splice(1, 0, { kind: 'effect', holder: 'a', token: 1, at: 2_600 });
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0, clientFencing: false }).violations).toEqual([]);
    // the wall-clock rule, for runs without pauses, still names it
    expect(checkHistory({ keys: [KEY], ...h, toleranceMs: 0 }).violations.map((v) => v.rule)).toContain(
      'fencing',
    );
  });
});
