/**
 * An in-memory name index: a fake of the `TaskNameIndex` port that behaves as the real one
 * must: a record answers a query when its task, path, agent (its agent or node name, or `*`)
 * and role (one of its roles, or `*`) fit; a newer record of the same node, agent, task and
 * path replaces the older; answers come newest first. It counts lookups, so a test sees when
 * a cache answered instead.
 */
import type { TaskNameIndex, TaskNameMatch, TaskNameQuery } from '../../src/adapters/names/index.js';
import { taskNameIdOfKey } from '../../src/protocol/bzzz-url.js';

export class MemoryNameIndex implements TaskNameIndex {
  readonly #records = new Map<string, TaskNameMatch>();
  lookups = 0;
  /** When set, every lookup fails with it (a lost connection to the index). */
  failure: Error | undefined;

  /** Adds a record, as a node publishing it would; an older one for the same name is replaced. */
  publish(record: TaskNameMatch): void {
    const key = `${record.node}|${record.agent}|${record.task}|${record.path}`;
    const current = this.#records.get(key);
    if (current === undefined || current.seq < record.seq) this.#records.set(key, { ...record });
  }

  lookup(query: TaskNameQuery): Promise<TaskNameMatch[]> {
    this.lookups++;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const task = `${query.owner}~${query.repo}:${query.number}`;
    const found = [...this.#records.values()].filter(
      (r) =>
        r.path === query.path &&
        taskNameIdOfKey(r.task) === task &&
        (query.agent === '*' || query.agent === r.agent || query.agent === r.nodeName) &&
        (query.role === '*' || r.roles.includes(query.role)),
    );
    return Promise.resolve(found.sort((a, b) => b.seq - a.seq).map((r) => ({ ...r, roles: [...r.roles] })));
  }
}
