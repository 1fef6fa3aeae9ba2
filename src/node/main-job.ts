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
import { clusterParts, createConnector, natsMedium } from './cluster.js';
import { RepairRelay } from './cas-parts.js';
import { createP2PNode, p2pMedium } from './p2p-medium.js';
import { NonRetryableError } from '../lib/errors.js';
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
  const bus = busKind(config);
  const connector = bus === 'nats' ? createConnector(config, nodeName, components) : undefined;
  const medium =
    connector !== undefined
      ? natsMedium(config, connector)
      : bus === 'libp2p'
        ? p2pMedium(config, createP2PNode(config, identity, options.logger), identity)
        : undefined;
  const leadership = new Leadership(identity.nodeId, medium === undefined);
  const metrics = new NodeMetrics({ node: nodeName, cluster: config.cluster });
  const repairs = new RepairRelay();
  const pipeline = createPipeline({
    casRepair: repairs.repair,
    ...options,
    metrics,
    config,
    nodeId: identity.nodeId,
    privateKey: identity.privateKey,
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
    checks: pipeline.checks,
    work: pipeline.work,
    ...(medium === undefined
      ? {}
      : {
          build: (context) =>
            clusterParts(
              {
                config,
                medium,
                claims: pipeline.claims,
                leadership,
                load,
                cas: { store: pipeline.contentStore, repairs },
                audit: pipeline.audit,
              },
              context,
            ),
        }),
  });
  return { node, pipeline, stop: () => node.stop(), stuck: () => node.stuck() };
}

/**
 * The bus `BZZZ_BUS` names (default `nats` with `BZZZ_NATS_URL`, else `local`), checked against
 * what it needs: NATS its URL; libp2p a claim store every node shares (bzzz never claims
 * without an arbiter: the in-process table is one process's only).
 */
export function busKind(config: Config): 'nats' | 'libp2p' | 'local' {
  const bus = config.bus ?? (config.nats_url !== undefined ? 'nats' : 'local');
  if (bus === 'nats' && config.nats_url === undefined) {
    throw new NonRetryableError('BZZZ_BUS=nats needs BZZZ_NATS_URL');
  }
  if (bus === 'libp2p') {
    const claims = config.claims ?? (config.forge === 'local' ? 'forge' : 'memory');
    if (claims === 'memory') {
      throw new NonRetryableError(
        'BZZZ_BUS=libp2p needs a claim store all nodes share: BZZZ_CLAIMS=forge with one BZZZ_FORGE_DIR shared by the nodes of a host',
      );
    }
    if (claims === 'jetstream') {
      throw new NonRetryableError(
        'BZZZ_CLAIMS=jetstream with BZZZ_BUS=libp2p is not supported yet: use BZZZ_BUS=nats',
      );
    }
  }
  return bus;
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
