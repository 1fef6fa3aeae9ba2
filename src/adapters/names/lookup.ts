/**
 * The task name index (`TaskNameIndex`): which records answer
 * `bzzz://<agent>:<role>@<owner>~<repo>:<n>/<path>`. It asks, in parallel, the local table and
 * every network the node has (the KV bucket's keys of the task, the DHT's providers of the
 * task and their records), each within `timeoutMs`; a source that fails or is slow is logged
 * and counts as empty. Every record is checked (check.ts), wherever it came from: a refused one
 * is counted by source and reason and logged once a minute per reason, never trusted, never a
 * crash. Records found on the network are kept in the table, so the next lookup (or `bzzz
 * resolve` after the node is gone) finds them here. Of each node's records the newest counts;
 * `agent` matches the agent's or the node's name, `role` one of the node's capabilities, `*`
 * anything; matches come newest first.
 */
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import { compareNameRecords, taskNameId } from '../../protocol/index.js';
import { tryCheckTaskRecord, type CheckedTaskRecord, type TaskRecordWanted } from './check.js';
import type { SqliteNameTable } from './table.js';
import type {
  FoundNameRecord,
  TaskNameIndex,
  TaskNameMatch,
  TaskNameMetrics,
  TaskNameNetwork,
  TaskNameQuery,
  TaskNameSource,
} from './types.js';

export interface TaskNameLookupInit {
  /** How long one source may take (default 5 s). */
  timeoutMs?: number;
}

export interface TaskNameLookupComponents {
  /** The local table; absent, only the networks are asked. */
  table?: SqliteNameTable | undefined;
  /** The networks the node has now. */
  networks: () => readonly TaskNameNetwork[];
  clock: Clock;
  logger: Logger;
  metrics?: TaskNameMetrics | undefined;
}

export class TaskNameLookup implements TaskNameIndex {
  readonly #timeoutMs: number;
  readonly #c: TaskNameLookupComponents;
  readonly #log: RateLimitedLog;

  constructor(init: TaskNameLookupInit, components: TaskNameLookupComponents) {
    this.#timeoutMs = init.timeoutMs ?? 5_000;
    this.#c = components;
    this.#log = new RateLimitedLog(components.logger, components.clock, 60_000);
  }

  async lookup(query: TaskNameQuery): Promise<TaskNameMatch[]> {
    const wanted: TaskRecordWanted = { nameId: taskNameId(query), artifact: query.path };
    const remote = await Promise.all(this.#c.networks().map((network) => this.#fromNetwork(network, wanted)));
    const sources = [this.#fromTable(wanted), ...remote];
    const newest = new Map<string, CheckedTaskRecord>();
    for (const checked of sources.flat()) {
      const held = newest.get(checked.record.node);
      if (held === undefined || compareNameRecords(checked.record, held.record) > 0)
        newest.set(checked.record.node, checked);
    }
    return [...newest.values()]
      .filter(({ record, value }) => matches(query, record.node, value))
      .sort((a, b) => compareNameRecords(b.record, a.record))
      .map(toMatch);
  }

  #fromTable(wanted: TaskRecordWanted): CheckedTaskRecord[] {
    const table = this.#c.table;
    if (table === undefined) return [];
    let rows: Uint8Array[];
    try {
      rows = table.records(wanted.nameId, wanted.artifact);
    } catch (error) {
      this.#log.warn('table', { err: describeError(error) }, 'name table unreadable');
      return [];
    }
    return this.#checkAll(
      'table',
      rows.map((record) => ({ record })),
      wanted,
    );
  }

  async #fromNetwork(network: TaskNameNetwork, wanted: TaskRecordWanted): Promise<CheckedTaskRecord[]> {
    let found: FoundNameRecord[];
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      found = await Promise.race([
        network.find(wanted.nameId, wanted.artifact, signal),
        new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
      ]);
    } catch (error) {
      this.#log.warn(network.source, { err: describeError(error) }, 'task names: a network did not answer');
      return [];
    }
    const checked = this.#checkAll(network.source, found, wanted);
    const table = this.#c.table;
    for (const { record } of checked) {
      try {
        table?.offer(record, false);
      } catch (error) {
        this.#log.warn('table', { err: describeError(error) }, 'name table unwritable');
      }
    }
    return checked;
  }

  #checkAll(source: TaskNameSource, found: FoundNameRecord[], wanted: TaskRecordWanted): CheckedTaskRecord[] {
    const good: CheckedTaskRecord[] = [];
    for (const item of found) {
      const result = tryCheckTaskRecord(item, wanted);
      if ('checked' in result) {
        good.push(result.checked);
        continue;
      }
      const { problem } = result;
      this.#c.metrics?.rejected?.(source, problem.problem);
      this.#log.warn(
        `${source}:${problem.problem}`,
        { source, node: item.node, detail: problem.detail },
        'name record refused',
      );
    }
    return good;
  }
}

function matches(query: TaskNameQuery, node: string, value: CheckedTaskRecord['value']): boolean {
  const agent =
    query.agent === '*' || query.agent === value.agent || query.agent === value.node || query.agent === node;
  const role = query.role === '*' || value.roles.includes(query.role);
  return agent && role;
}

function toMatch({ record, value, artifact }: CheckedTaskRecord): TaskNameMatch {
  return {
    node: record.node,
    nodeName: value.node,
    agent: value.agent,
    roles: value.roles,
    task: value.task,
    path: artifact,
    value: value.url ?? value.hash ?? '',
    ...(value.size === undefined ? {} : { size: value.size }),
    seq: record.seq,
  };
}
