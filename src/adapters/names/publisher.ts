/**
 * Publishing a task's name records: for each artifact, one record
 * `bzzz://<this node>/tasks/<owner>~<repo>:<n>/<artifact>` → a task name value
 * (task-names.ts), signed with the node's key, kept in the local table first (so the name
 * resolves here whatever the network does), then put into every network the node has (the KV
 * bucket with NATS, the DHT with libp2p) in parallel. A network that fails is logged and
 * counted, never thrown: the records are in the table, and a later publication goes past them.
 */
import { describeError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import {
  encodeTaskNameValue,
  nextNameSeq,
  signNameRecord,
  taskNameIdOfKey,
  taskRecordPath,
  formatActorPath,
  type Identity,
  type NameRecord,
} from '../../protocol/index.js';
import { TaskNamePublishError } from './errors.js';
import type { SqliteNameTable } from './table.js';
import type { TaskArtifactEntry, TaskNameMetrics, TaskNameNetwork } from './types.js';

export interface TaskNamePublisherInit {
  /** This node's name (`BZZZ_NODE_NAME`). */
  nodeName: string;
  /** This node's capabilities. */
  roles: readonly string[];
}

export interface TaskNamePublisherComponents {
  identity: Identity;
  table: SqliteNameTable;
  /** The networks the node has now (none on the embedded default). */
  networks: () => readonly TaskNameNetwork[];
  clock: Clock;
  logger: Logger;
  metrics?: TaskNameMetrics | undefined;
}

/** What a publication did. */
export interface PublishedTaskNames {
  records: NameRecord[];
  /** Networks that did not take every record. */
  failed: ('kv' | 'dht')[];
}

export class TaskNamePublisher {
  readonly #init: TaskNamePublisherInit;
  readonly #c: TaskNamePublisherComponents;

  constructor(init: TaskNamePublisherInit, components: TaskNamePublisherComponents) {
    this.#init = init;
    this.#c = components;
  }

  /**
   * Signs and publishes the records of `entries` for the task `task.key` worked on by
   * `task.agent`. Throws {@link TaskNamePublishError} only when nothing could be recorded
   * (a task key with no name, a closed table); network failures are reported in the result.
   */
  async publish(
    task: { key: string; agent: string },
    entries: readonly TaskArtifactEntry[],
  ): Promise<PublishedTaskNames> {
    const nameId = taskNameIdOfKey(task.key);
    if (nameId === undefined)
      throw new TaskNamePublishError(task.key, 'the task key has no <owner>~<repo>:<n> name');
    const records: NameRecord[] = [];
    try {
      for (const entry of entries) records.push(this.#sign(task, nameId, entry));
    } catch (error) {
      throw new TaskNamePublishError(task.key, describeError(error), { cause: error });
    }
    const failed = await Promise.all(
      this.#c.networks().map((network) => this.#spread(network, task.key, records)),
    );
    return { records, failed: failed.filter((f) => f !== undefined) };
  }

  #sign(task: { key: string; agent: string }, nameId: string, entry: TaskArtifactEntry): NameRecord {
    const { identity, table, clock } = this.#c;
    const path = taskRecordPath(nameId, entry.path);
    const value = encodeTaskNameValue({
      v: 1,
      task: task.key,
      agent: task.agent,
      node: this.#init.nodeName,
      roles: [...this.#init.roles],
      ...('url' in entry
        ? { url: entry.url }
        : { hash: entry.hash, ...(entry.size === undefined ? {} : { size: entry.size }) }),
    });
    const seq = nextNameSeq(clock.now(), table.lastSeq(identity.nodeId, formatActorPath(path)));
    const record = signNameRecord({ node: identity.nodeId, path }, value, seq, identity.privateKey);
    table.offer(record, true);
    return record;
  }

  /** Puts every record into one network; the network's kind when one of them failed. */
  async #spread(
    network: TaskNameNetwork,
    task: string,
    records: NameRecord[],
  ): Promise<'kv' | 'dht' | undefined> {
    const results = await Promise.allSettled(records.map((record) => network.publish(record)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure === undefined) return undefined;
    this.#c.metrics?.publishFailed?.(network.source);
    this.#c.logger.warn(
      { task, network: network.source, err: describeError(failure.reason) },
      'task names not published to the network; they resolve from this node',
    );
    return network.source;
  }
}
