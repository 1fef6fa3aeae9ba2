/**
 * The main job on one node: the pipeline's ports and actors, and with NATS the cluster's
 * parts, all children of the node's tree; and, for `--once`, waiting until every task of the
 * forge has an outcome.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ForgeRepo, TaskRecord } from '../adapters/forge/index.js';
import { loadOrCreateIdentity } from '../protocol/identity.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { BzzzNode } from './node.js';
import { clusterParts, createConnector } from './cluster.js';
import { Leadership } from './leadership.js';
import { NodeMetrics } from './metrics.js';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';

export interface MainJob {
  node: BzzzNode;
  pipeline: Pipeline;
  /** Stops the node: the tree stops every part in reverse order. */
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
  const components = { clock: options.clock, logger: options.logger };
  const clustered = config.nats_url !== undefined;
  const connector = clustered ? createConnector(config, nodeName, components) : undefined;
  const leadership = new Leadership(identity.nodeId, !clustered);
  const metrics = new NodeMetrics({ node: nodeName, cluster: config.cluster });
  const pipeline = createPipeline({
    ...options,
    metrics,
    config,
    nodeId: identity.nodeId,
    agents,
    connector,
    pollerActive: () => leadership.isLeader(),
  });
  const load = () => ({ tasks: runningTasks(pipeline, agents), maxTasks: config.max_tasks * agents.length });
  const node = await BzzzNode.start(config, {
    ...components,
    metrics,
    view: pipeline.view,
    infra: pipeline.infra,
    storage: pipeline.storage,
    work: pipeline.work,
    ...(connector === undefined
      ? {}
      : {
          build: (context) =>
            clusterParts({ config, connector, claims: pipeline.claims, leadership, load }, context),
        }),
  });
  return { node, pipeline, stop: () => node.stop(), stuck: () => node.stuck() };
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
