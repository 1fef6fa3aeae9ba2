/**
 * A node's task names and task records (issue 16), assembled: the names port
 * (`src/adapters/names/`: the name table in the data dir, always; the KV bucket
 * `bzzz-<cluster>-names` on the node's NATS connection; the DHT, attached by the libp2p medium,
 * p2p-medium.ts), its child (`names`, in `storage`: the table opens before the agents start
 * and closes after they stopped), the recorder the tasks use, and their series on /metrics:
 *
 * - `bzzz_task_recordings_total{result}`: tasks recorded (`recorded`) or not (`failed`);
 * - `bzzz_task_artifact_captures_failed_total{artifact}`: diffs or trees not captured;
 * - `bzzz_name_records_rejected_total{source,reason}`: records refused (`table`, `kv`, `dht`,
 *   `peer`; `malformed`, `too_large`, `wrong_key`, `bad_signature`, `bad_frame`);
 * - `bzzz_name_publications_failed_total{network}`: publications a network did not take.
 */
import { Counter } from 'prom-client';
import { TaskRecorder } from '../actors/task/artifacts/recorder.js';
import { serviceSpec } from '../actors/service.js';
import type { ContentStore } from '../adapters/cas/index.js';
import { createTaskNames, type TaskNames, type TaskNameSource } from '../adapters/names/index.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { Identity } from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { NodeMetrics } from './metrics.js';

/** The names of one node, and what its tasks and media need of them. */
export interface NodeTaskNames {
  readonly names: TaskNames;
  readonly nodeName: string;
  /** Counts a record refused by the libp2p names service (pushed or answered by a peer). */
  readonly peerRejected: (reason: string) => void;
  readonly metrics: NameSeries | undefined;
}

type NameSeries = ReturnType<typeof nameSeries>;

export interface NodeTaskNamesInit {
  identity: Identity;
  nodeName: string;
  connector?: NatsConnector | undefined;
  metrics?: NodeMetrics | undefined;
  clock: Clock;
  logger: Logger;
}

/** The node's task names: the table in the data dir, and the KV bucket with NATS. */
export function nodeTaskNames(config: Config, init: NodeTaskNamesInit): NodeTaskNames {
  const series = init.metrics === undefined ? undefined : nameSeries(init.metrics);
  const names = createTaskNames(
    {
      dataDir: config.data_dir,
      cluster: config.cluster,
      nodeName: init.nodeName,
      roles: config.capabilities,
    },
    {
      identity: init.identity,
      clock: init.clock,
      logger: init.logger,
      connector: init.connector,
      metrics: {
        rejected: (source: TaskNameSource, reason) => series?.rejected.inc({ source, reason }),
        publishFailed: (network) => series?.publishFailed.inc({ network }),
      },
    },
  );
  return {
    names,
    nodeName: init.nodeName,
    peerRejected: (reason) => series?.rejected.inc({ source: 'peer', reason }),
    metrics: series,
  };
}

/** The `names` child of `storage` (the table's lifetime) and the recorder of the node's tasks. */
export function taskRecording(
  config: Config,
  parts: NodeTaskNames,
  components: {
    store: ContentStore;
    nodeId: string;
    clock: Clock;
    logger: Logger;
    /** The head of a task's HMMM thread (its `thread` name) and its audit entries' blob (`audit`). */
    threadHead?: (task: string) => string | undefined;
    auditBlob?: (task: string) => Promise<string | undefined>;
  },
): { child: ChildSpec; recorder: TaskRecorder } {
  const series = parts.metrics;
  const recorder = new TaskRecorder(
    { nodeId: components.nodeId, nodeName: parts.nodeName, roles: config.capabilities },
    {
      store: components.store,
      publisher: parts.names.publisher,
      threadHead: components.threadHead,
      auditBlob: components.auditBlob,
      clock: components.clock,
      logger: components.logger,
      metrics: {
        recorded: (result) => series?.recordings.inc({ result }),
        captureFailed: (artifact) => series?.captures.inc({ artifact }),
      },
    },
  );
  return { child: serviceSpec('names', () => parts.names.open()), recorder };
}

function nameSeries(metrics: NodeMetrics) {
  const registers = [metrics.registry];
  const recordings = new Counter({
    name: 'bzzz_task_recordings_total',
    help: 'Ended tasks whose transcript, diff and tree were stored and named, by result',
    labelNames: ['result'],
    registers,
  });
  for (const result of ['recorded', 'failed']) recordings.inc({ result }, 0);
  return {
    recordings,
    captures: new Counter({
      name: 'bzzz_task_artifact_captures_failed_total',
      help: 'Diffs and result trees of ended tasks that could not be captured, by artifact',
      labelNames: ['artifact'],
      registers,
    }),
    rejected: new Counter({
      name: 'bzzz_name_records_rejected_total',
      help: 'Name records refused (malformed, wrongly signed, for another name), by source and reason',
      labelNames: ['source', 'reason'],
      registers,
    }),
    publishFailed: new Counter({
      name: 'bzzz_name_publications_failed_total',
      help: 'Publications of task names a network did not take, by network',
      labelNames: ['network'],
      registers,
    }),
  };
}
