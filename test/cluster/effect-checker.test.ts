// The effect-log checker of the pipeline chaos test, on histories written by hand: it must name
// each kind of violation, and find none in a history where a takeover happened cleanly.
import { describe, expect, it } from 'vitest';
import type { EffectRecord } from '../../src/adapters/forge/index.js';
import { checkEffects, type TaskEvidence } from './effect-checker.js';

const at = '2026-12-04T00:00:00.000Z';
const effect = (kind: EffectRecord['effect'], token: number, holder: string, sha?: string): EffectRecord => ({
  effect: kind,
  token,
  holder,
  at,
  ...(sha === undefined ? {} : { sha }),
});
const pr = { number: 7, url: 'file:///pr/7', state: 'open' as const };

function task(effects: EffectRecord[], head: string | null, overrides: Partial<TaskEvidence['record']> = {}) {
  return {
    record: { key: 'local:chaos/repo#1', state: 'done' as const, prs: [pr], effects, ...overrides },
    head,
  };
}

describe('the effect-log checker', () => {
  it('accepts a takeover: the old holder stopped, the new one pushed last', () => {
    const clean = task(
      [
        effect('claim', 3, 'c1'),
        effect('push', 3, 'c1', 'aaa'),
        effect('claim', 5, 'c2'),
        effect('push', 5, 'c2', 'bbb'),
        effect('pull-request', 5, 'c2'),
        effect('report', 5, 'c2'),
      ],
      'bbb',
    );
    expect(checkEffects([clean])).toEqual([]);
  });

  it('names an effect applied after a newer token, with both tokens and holders', () => {
    const stale = task(
      [
        effect('claim', 3, 'c1'),
        effect('claim', 5, 'c2'),
        effect('push', 3, 'c1', 'aaa'),
        effect('push', 5, 'c2', 'bbb'),
      ],
      'bbb',
    );
    const violations = checkEffects([stale]);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ rule: 'stale-effect', key: 'local:chaos/repo#1' });
    expect(violations[0]!.detail).toContain('push by c1 under token 3');
    expect(violations[0]!.detail).toContain('claim by c2 under token 5');
  });

  it('names a second pull request, a head that is not the newest push, and an unfinished task', () => {
    const violations = checkEffects([
      task([effect('claim', 1, 'c1'), effect('push', 1, 'c1', 'aaa')], 'aaa', {
        prs: [pr, { number: 8, url: 'file:///pr/8', state: 'closed' as const }],
      }),
      task(
        [
          effect('claim', 1, 'c1'),
          effect('push', 1, 'c1', 'aaa'),
          effect('claim', 2, 'c2'),
          effect('push', 2, 'c2', 'bbb'),
        ],
        'aaa',
      ),
      task([effect('claim', 1, 'c1'), effect('claim', 2, 'c2'), effect('push', 1, 'c1', 'aaa')], 'aaa'),
      task([effect('claim', 1, 'c1')], null, { state: 'working', prs: [] }),
    ]);
    expect(violations.map((v) => v.rule).sort()).toEqual([
      'branch-head',
      'branch-head',
      'not-done',
      'one-pr',
      'one-pr',
      'stale-effect',
    ]);
  });
});
