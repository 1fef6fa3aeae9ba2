/**
 * The names port (issue 16): a task's artifacts under semantic names. Each node keeps a name
 * table in its data dir (`table.ts`: its own records and every valid one it received), publishes
 * its records there and into the networks it has (`kv.ts`: the KV bucket `bzzz-<cluster>-names`
 * with NATS; the DHT with libp2p, `src/adapters/p2p/task-names.ts`, attached while libp2p
 * runs), and answers lookups from all of them (`lookup.ts`), checking every record
 * (`check.ts`). {@link createTaskNames} builds the parts a node wires; `open()` is the table's
 * lifecycle (a child of the node's `storage`).
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import type { Identity, NameRecord } from '../../protocol/index.js';
import type { NatsConnector } from '../nats/index.js';
import { tryCheckTaskRecord } from './check.js';
import { KvTaskNames } from './kv.js';
import { TaskNameLookup } from './lookup.js';
import { TaskNamePublisher } from './publisher.js';
import { SqliteNameTable } from './table.js';
import type { TaskNameIndex, TaskNameMetrics, TaskNameNetwork } from './types.js';

export type * from './types.js';
export {
  checkTaskRecord,
  tryCheckTaskRecord,
  type CheckedTaskRecord,
  type TaskRecordWanted,
} from './check.js';
export { NameBucketUnavailableError, NameTableClosedError, TaskNamePublishError } from './errors.js';
export { KvTaskNames, kvKeyOf, type KvTaskNamesInit } from './kv.js';
export { TaskNameLookup, type TaskNameLookupComponents, type TaskNameLookupInit } from './lookup.js';
export { TaskNamePublisher, type PublishedTaskNames, type TaskNamePublisherInit } from './publisher.js';
export { SqliteNameTable, type NameTableInit } from './table.js';

/** The name table's file under a data dir. */
export function nameTablePath(dataDir: string): string {
  return join(dataDir, 'names', 'names.db');
}

export interface TaskNamesInit {
  dataDir: string;
  cluster: string;
  /** This node's name and capabilities, carried in every record's value. */
  nodeName: string;
  roles: readonly string[];
  /** How long one source of a lookup may take (default 5 s). */
  lookupTimeoutMs?: number;
}

export interface TaskNamesComponents {
  identity: Identity;
  clock: Clock;
  logger: Logger;
  /** The node's NATS connection: records go into the KV bucket too. */
  connector?: NatsConnector | undefined;
  metrics?: TaskNameMetrics | undefined;
}

/** A node's task names: the table, the publisher, the index, and where the DHT attaches. */
export interface TaskNames {
  readonly table: SqliteNameTable;
  readonly publisher: TaskNamePublisher;
  readonly index: TaskNameIndex;
  /** Adds a network (the DHT, while libp2p runs) until the returned function is called. */
  attach(network: TaskNameNetwork): () => void;
  /** Keeps a record received elsewhere (a peer's push) when it is a valid task name record. */
  learn(record: NameRecord): void;
  /** Opens the table; the resource closes it. */
  open(): Promise<Resource>;
}

export function createTaskNames(init: TaskNamesInit, components: TaskNamesComponents): TaskNames {
  const { identity, clock, metrics } = components;
  const logger = components.logger.child({ component: 'names' });
  const table = new SqliteNameTable({ path: nameTablePath(init.dataDir) });
  const attached = new Set<TaskNameNetwork>();
  if (components.connector !== undefined)
    attached.add(new KvTaskNames({ cluster: init.cluster }, { connector: components.connector }));
  const networks = () => [...attached];
  const publisher = new TaskNamePublisher(
    { nodeName: init.nodeName, roles: init.roles },
    { identity, table, networks, clock, logger, metrics },
  );
  const index = new TaskNameLookup(
    init.lookupTimeoutMs === undefined ? {} : { timeoutMs: init.lookupTimeoutMs },
    { table, networks, clock, logger, metrics },
  );
  return {
    table,
    publisher,
    index,
    attach: (network) => {
      attached.add(network);
      return () => attached.delete(network);
    },
    learn: (record) => {
      const result = tryCheckTaskRecord({ record });
      if (!('checked' in result) || !table.open) return;
      try {
        table.offer(result.checked.record, false);
      } catch (error) {
        logger.debug({ err: describeError(error) }, 'a received name record was not kept');
      }
    },
    open: async () => {
      await table.start();
      return { stop: () => table.stop() };
    },
  };
}
