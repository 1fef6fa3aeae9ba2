/**
 * The checker of the pipeline's chaos runs (issue 13). It reads what the forge itself applied,
 * not what agents say they did: each task's effect log (effect, token, holder, sha, in the
 * order applied), its pull requests ever opened, and its branch's final head. A violation is:
 *
 * - `stale-effect`: an effect with token t applied after one with a higher token;
 * - `one-pr`: a task that ended with more (or fewer) than one pull request ever;
 * - `branch-head`: a branch whose final head is not the sha last pushed by the newest holder
 *   (the holder of the highest token the task's log holds);
 * - `not-done`: a task that is not done at the end.
 */
import type { EffectRecord, TaskRecord } from '../../src/adapters/forge/index.js';

export interface TaskEvidence {
  record: Pick<TaskRecord, 'key' | 'state' | 'prs'> & { effects?: EffectRecord[] };
  /** The task branch's head in the forge's repository, or null when it has none. */
  head: string | null;
}

export interface EffectViolation {
  rule: 'stale-effect' | 'one-pr' | 'branch-head' | 'not-done';
  key: string;
  detail: string;
}

const describe = (e: EffectRecord): string =>
  `${e.effect} by ${e.holder} under token ${e.token}${e.sha ? ` (${e.sha.slice(0, 12)})` : ''}`;

/** Effects applied after an effect with a higher token, in the order the forge applied them. */
export function staleEffects(key: string, effects: readonly EffectRecord[]): EffectViolation[] {
  const out: EffectViolation[] = [];
  let newest: EffectRecord | undefined;
  effects.forEach((effect, index) => {
    if (newest !== undefined && effect.token < newest.token) {
      out.push({
        rule: 'stale-effect',
        key,
        detail: `effect #${index + 1}, ${describe(effect)}, applied after ${describe(newest)}`,
      });
    }
    if (newest === undefined || effect.token > newest.token) newest = effect;
  });
  return out;
}

/** The final head must be what the newest holder pushed last. */
function headViolation(
  key: string,
  effects: readonly EffectRecord[],
  head: string | null,
): EffectViolation[] {
  const pushes = effects.filter((e) => e.effect === 'push');
  if (pushes.length === 0) {
    return head === null
      ? []
      : [{ rule: 'branch-head', key, detail: `branch at ${head} but no push was logged` }];
  }
  const newest = Math.max(...effects.map((e) => e.token));
  const last = pushes.filter((e) => e.token === newest).at(-1);
  if (last === undefined) {
    return [
      { rule: 'branch-head', key, detail: `the newest holder (token ${newest}) never pushed; head ${head}` },
    ];
  }
  if (last.sha !== head) {
    return [
      {
        rule: 'branch-head',
        key,
        detail: `head ${head} is not ${describe(last)}, the newest holder's last push`,
      },
    ];
  }
  return [];
}

export function checkEffects(tasks: readonly TaskEvidence[]): EffectViolation[] {
  const violations: EffectViolation[] = [];
  for (const { record, head } of tasks) {
    const effects = record.effects ?? [];
    violations.push(...staleEffects(record.key, effects));
    if (record.prs.length !== 1) {
      violations.push({
        rule: 'one-pr',
        key: record.key,
        detail: `${record.prs.length} pull requests ever: ${record.prs.map((p) => `#${p.number}`).join(', ')}`,
      });
    }
    violations.push(...headViolation(record.key, effects, head));
    if (record.state !== 'done')
      violations.push({ rule: 'not-done', key: record.key, detail: `ended ${record.state}` });
  }
  return violations;
}
