/**
 * The main job on one node: the pipeline's ports and actors under the node's work subtree,
 * and, for `--once`, waiting until every task of the forge has an outcome.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ForgeRepo, TaskRecord } from '../adapters/forge/index.js';
import { loadOrCreateIdentity } from '../protocol/identity.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { BzzzNode } from './node.js';
import { createClusterParts, type ClusterParts } from './cluster.js';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';

export interface MainJob {
  node: BzzzNode;
  pipeline: Pipeline;
  /** Stops the node, then closes the ports (sandboxes, claim store). */
  stop(): Promise<void>;
  stuck(): string[];
}

export async function startMainJob(
  config: Config,
  options: Pick<PipelineOptions, 'logger' | 'clock' | 'wrapSandboxes'> & { agents: number },
): Promise<MainJob> {
  await mkdir(config.data_dir, { recursive: true });
  const identity = await loadOrCreateIdentity(config.data_dir);
  const nodeName = config.node_name ?? hostname();
  const agents =
    options.agents === 1
      ? [nodeName]
      : Array.from({ length: options.agents }, (_, i) => `${nodeName}-${i + 1}`);
  // the node is created after its parts; callbacks that need it read it late
  let node: BzzzNode | undefined;
  let cluster: ClusterParts | undefined;
  const pipeline = await createPipeline({
    ...options,
    config,
    nodeId: identity.nodeId,
    agents,
    pollerActive: () => cluster === undefined || cluster.isLeader(),
  });
  if (config.nats_url !== undefined) {
    cluster = createClusterParts(
      {
        config,
        nodeId: identity.nodeId,
        nodeName,
        privateKey: identity.privateKey,
        claims: pipeline.claims,
        load: () => ({ tasks: runningTasks(pipeline, agents), maxTasks: config.max_tasks * agents.length }),
        service: {
          name: nodeName,
          version: '0.1.0',
          status: () => node?.status() ?? null,
          peers: () => node?.status().nodes ?? [],
          tasks: () => node?.status().tasks ?? [],
        },
      },
      {
        clock: options.clock,
        logger: options.logger,
        rejected: (reason) => node?.metrics.rejected(reason),
        peersGauge: (counts) => node?.metrics.peers(counts),
      },
    );
  }
  try {
    node = await BzzzNode.start(config, {
      logger: options.logger,
      clock: options.clock,
      work: pipeline.children(),
      view: pipeline.view,
      ...(cluster === undefined
        ? {}
        : {
            infra: cluster.infra,
            cluster: cluster.cluster,
            notReady: () => (cluster !== undefined && !cluster.bus.connected() ? ['bus disconnected'] : []),
            leader: () => cluster?.leader() ?? null,
            peers: () => cluster?.nodes() ?? [],
          }),
    });
  } catch (error) {
    await pipeline.close();
    throw error;
  }
  const started = node;
  return {
    node: started,
    pipeline,
    stop: async () => {
      try {
        await started.stop();
      } finally {
        await pipeline.close();
      }
    },
    stuck: () => started.stuck(),
  };
}

/** Tasks this process's agents hold now, from the read model. */
function runningTasks(pipeline: Pipeline, agents: string[]): string[] {
  return Object.values(pipeline.view.getSnapshot().context.tasks)
    .filter((t) => t.holder !== null && agents.includes(t.holder))
    .map((t) => t.key);
}

const FINAL = new Set(['done', 'failed', 'escalated']);

/** Every task of every repository. */
export async function allTaskRecords(pipeline: Pipeline): Promise<TaskRecord[]> {
  const repos: ForgeRepo[] = await pipeline.forge.listRepos();
  const records = await Promise.all(repos.map((r) => pipeline.forge.taskRecords(r.name)));
  return records.flat();
}

/** Resolves once every task has an outcome (done, failed or escalated). */
export async function waitForOutcomes(
  pipeline: Pipeline,
  clock: Clock,
  signal: AbortSignal,
): Promise<TaskRecord[]> {
  for (;;) {
    const records = await allTaskRecords(pipeline);
    if (records.every((r) => FINAL.has(r.state))) return records;
    if (signal.aborted) return records;
    await clock.sleep(250);
  }
}
