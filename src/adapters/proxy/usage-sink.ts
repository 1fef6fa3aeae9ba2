/**
 * Where the proxy's usage records go: one record per request forwarded upstream (refusals
 * before forwarding, 401/402/429, are counted in the metrics only). The interface is the seam
 * between the proxy and the usage store: an in-memory sink here (tests, a node without a
 * database), the node's embedded SQLite sink (`local-usage-sink.ts`), PostgreSQL in
 * `src/adapters/usage/`. `test/compliance/usage-sink.ts` is the suite every sink passes.
 */

// one definition of the records and the sink, the usage port's (PostgreSQL and the embedded
// database implement it there; the proxy's own sinks here)
import {
  NO_TASK_GROUP,
  type UsageRecord,
  type UsageSink,
  type UsageSummary,
  type UsageSummaryGroup,
} from '../usage/index.js';

export type { UsageRecord, UsageSink, UsageSummary, UsageSummaryGroup } from '../usage/index.js';
export { NO_TASK_GROUP } from '../usage/index.js';

export type UsageGrouping = 'key' | 'task' | 'model';

/** The group a record falls in. */
export function groupOf(r: UsageRecord, by: UsageGrouping): string {
  if (by === 'task') return r.task ?? NO_TASK_GROUP;
  return by === 'key' ? r.key : r.model;
}

/** Totals and groups of a list of records (the in-memory sink, and a reference for others). */
export function summarize(records: Iterable<UsageRecord>, by?: UsageGrouping): UsageSummary {
  const total: UsageSummary = {
    requests: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cost_usd: 0,
    groups: [],
  };
  const groups = new Map<string, UsageSummaryGroup>();
  for (const r of records) {
    add(total, r);
    if (by === undefined) continue;
    const name = groupOf(r, by);
    let group = groups.get(name);
    if (group === undefined) {
      group = { group: name, requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };
      groups.set(name, group);
    }
    add(group, r);
  }
  total.groups = [...groups.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return total;
}

function add(into: Omit<UsageSummaryGroup, 'group'>, r: UsageRecord): void {
  into.requests += 1;
  into.prompt_tokens += r.promptTokens;
  into.completion_tokens += r.completionTokens;
  into.cost_usd += r.costUsd;
}

/** Keeps records in memory: tests, and a proxy that needs no history beyond its process. */
export class MemoryUsageSink implements UsageSink {
  readonly #records = new Map<string, UsageRecord>();
  /** Running totals by `key:<name>` and `task:<name>`, so a budget check is one lookup. */
  readonly #spent = new Map<string, number>();

  record(r: UsageRecord): Promise<void> {
    if (this.#records.has(r.id)) return Promise.resolve();
    this.#records.set(r.id, { ...r });
    this.#add(`key:${r.key}`, r.costUsd);
    if (r.task !== null) this.#add(`task:${r.task}`, r.costUsd);
    return Promise.resolve();
  }

  summary(by?: UsageGrouping): Promise<UsageSummary> {
    return Promise.resolve(summarize(this.#records.values(), by));
  }

  spent(filter: { key?: string; task?: string }): Promise<number> {
    const { key, task } = filter;
    if ((key === undefined) !== (task === undefined))
      return Promise.resolve(this.#spent.get(key !== undefined ? `key:${key}` : `task:${task!}`) ?? 0);
    let usd = 0;
    for (const r of this.#records.values())
      if ((key === undefined || r.key === key) && (task === undefined || r.task === task)) usd += r.costUsd;
    return Promise.resolve(usd);
  }

  #add(name: string, usd: number): void {
    this.#spent.set(name, (this.#spent.get(name) ?? 0) + usd);
  }
}
