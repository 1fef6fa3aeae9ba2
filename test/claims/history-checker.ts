/**
 * A Jepsen-style checker for the claim histories the chaos harness records. Workers log every
 * acquire, renew, release, loss, effect and finish with the fencing token and the wall time
 * (one machine, one clock); what the resource applied is read from the resource itself. The
 * checker proves, or reports the first violations of:
 *
 * (a) mutual exclusion: no two grants of one key had overlapping validity. A grant is valid
 *     from the moment its write was sent (`sentAt`, the earliest it can exist) until the
 *     earliest of its last known expiry, the start of a successful release, and its loss;
 * (b) fencing: the resource applied no effect with a token lower than one it applied before
 *     (`stale-effect`), and each under a token granted to its writer; and, in runs without
 *     pauses (`clientFencing`), every effect was made under the newest token granted for its
 *     key up to that moment, inside its own grant's validity. A paused worker wakes up after
 *     its check and acts late: only the resource's check can stop it, so with pauses the
 *     wall-clock rule does not hold and the resource's order is what is checked;
 * (c) every task was finished exactly once (one finish in the resource's log).
 *
 * `toleranceMs` widens what counts as "not overlapping" for clocks that differ; the harness
 * runs every process on one machine and passes 0.
 */

export type HistoryEvent =
  | { type: 'acquire'; w: string; key: string; token: number; at: number; sentAt: number; expiresAt: number }
  | { type: 'renew'; w: string; key: string; token: number; at: number; expiresAt: number }
  | { type: 'release'; w: string; key: string; token: number; at: number; ok: boolean }
  | { type: 'loss'; w: string; key: string; token: number; at: number; reason: string }
  | { type: 'effect'; w: string; key: string; token: number; at: number }
  | { type: 'finish'; w: string; key: string; token: number; at: number }
  | { type: 'refused'; w: string; key: string; token: number; at: number; reason: string };

/** An effect as the resource applied it. */
export interface AppliedEffect {
  kind: 'effect' | 'finish';
  holder: string;
  token: number;
  at: number;
}

export interface CheckInput {
  keys: readonly string[];
  events: readonly HistoryEvent[];
  /** What the resource applied, per key, in the order it applied it. */
  applied: ReadonlyMap<string, readonly AppliedEffect[]>;
  toleranceMs: number;
  /** Also check the workers' effects against grants by wall time (runs without pauses). Default true. */
  clientFencing?: boolean;
}

export interface Violation {
  rule: 'exclusion' | 'fencing' | 'stale-effect' | 'finished-once';
  key: string;
  detail: string;
}

export interface CheckResult {
  ok: boolean;
  violations: Violation[];
  stats: { grants: number; effects: number; renewals: number; losses: number; finished: number };
}

interface Grant {
  key: string;
  token: number;
  holder: string;
  start: number;
  end: number;
}

/** The validity interval of every grant in the history, by key. */
export function grantsOf(events: readonly HistoryEvent[]): Map<string, Grant[]> {
  const byToken = new Map<string, Grant>();
  const id = (key: string, token: number) => `${key}\u0000${token}`;
  for (const e of events) {
    if (e.type !== 'acquire') continue;
    byToken.set(id(e.key, e.token), {
      key: e.key,
      token: e.token,
      holder: e.w,
      start: e.sentAt,
      end: e.expiresAt,
    });
  }
  for (const e of events) {
    const grant = byToken.get(id(e.key, e.token));
    if (grant === undefined || grant.holder !== e.w) continue;
    if (e.type === 'renew') grant.end = Math.max(grant.end, e.expiresAt);
  }
  for (const e of events) {
    const grant = byToken.get(id(e.key, e.token));
    if (grant === undefined || grant.holder !== e.w) continue;
    if ((e.type === 'release' && e.ok) || e.type === 'loss') grant.end = Math.min(grant.end, e.at);
  }
  const byKey = new Map<string, Grant[]>();
  for (const grant of byToken.values()) {
    const list = byKey.get(grant.key) ?? [];
    list.push(grant);
    byKey.set(grant.key, list);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.token - b.token);
  return byKey;
}

export function checkHistory(input: CheckInput): CheckResult {
  const violations: Violation[] = [];
  const grants = grantsOf(input.events);
  const tol = input.toleranceMs;

  // (a) No two grants of a key overlap; tokens grow with time.
  for (const [key, list] of grants) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        if (a.start < b.end - tol && b.start < a.end - tol) {
          violations.push({
            rule: 'exclusion',
            key,
            detail: `token ${a.token} (${a.holder}, ${a.start}..${a.end}) overlaps token ${b.token} (${b.holder}, ${b.start}..${b.end})`,
          });
        }
      }
    }
  }

  // (b) Every effect under the newest token granted so far, inside its own grant.
  const fenced = (key: string, token: number, at: number, holder: string, what: string) => {
    const list = grants.get(key) ?? [];
    const own = list.find((g) => g.token === token);
    if (own === undefined || own.holder !== holder) {
      violations.push({
        rule: 'fencing',
        key,
        detail: `${what} by ${holder} under token ${token}, never granted to it`,
      });
      return;
    }
    const newer = list.find((g) => g.token > token && g.start <= at - tol);
    if (newer !== undefined) {
      violations.push({
        rule: 'fencing',
        key,
        detail: `${what} by ${holder} at ${at} under token ${token}, after token ${newer.token} was granted to ${newer.holder} at ${newer.start}`,
      });
    }
    if (at < own.start || at > own.end + tol) {
      violations.push({
        rule: 'fencing',
        key,
        detail: `${what} by ${holder} at ${at} outside its grant ${own.token} (${own.start}..${own.end})`,
      });
    }
  };
  let effects = 0;
  for (const e of input.events) {
    if (e.type !== 'effect') continue;
    effects++;
    if (input.clientFencing ?? true) fenced(e.key, e.token, e.at, e.w, 'effect');
  }
  for (const [key, applied] of input.applied) violations.push(...resourceOrder(key, applied, grants));

  // (c) Every task finished exactly once.
  let finished = 0;
  for (const key of input.keys) {
    const count = (input.applied.get(key) ?? []).filter((e) => e.kind === 'finish').length;
    if (count === 1) finished++;
    else violations.push({ rule: 'finished-once', key, detail: `finished ${count} times` });
  }

  return {
    ok: violations.length === 0,
    violations,
    stats: {
      grants: [...grants.values()].reduce((n, l) => n + l.length, 0),
      effects,
      renewals: input.events.filter((e) => e.type === 'renew').length,
      losses: input.events.filter((e) => e.type === 'loss').length,
      finished,
    },
  };
}

/** The resource's log: each effect under a token granted to its writer, none after a newer one. */
function resourceOrder(
  key: string,
  applied: readonly AppliedEffect[],
  grants: Map<string, Grant[]>,
): Violation[] {
  const out: Violation[] = [];
  const list = grants.get(key) ?? [];
  let newest: AppliedEffect | undefined;
  for (const e of applied) {
    if (!list.some((g) => g.token === e.token && g.holder === e.holder)) {
      out.push({
        rule: 'fencing',
        key,
        detail: `${e.kind} by ${e.holder} under token ${e.token}, never granted to it`,
      });
    }
    if (newest !== undefined && e.token < newest.token) {
      out.push({
        rule: 'stale-effect',
        key,
        detail: `${e.kind} by ${e.holder} under token ${e.token} applied at ${e.at}, after ${newest.kind} by ${newest.holder} under token ${newest.token}`,
      });
    }
    if (newest === undefined || e.token > newest.token) newest = e;
  }
  return out;
}
