/**
 * The main job on one node: the pipeline's ports and actors, and with NATS the cluster's
 * parts, all children of the node's tree; and, for `--once`, waiting until every task of the
 * forge has an outcome.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ForgeRepo, TaskRecord } from '../adapters/forge/index.js';
import { loadOrCreateIdentity, type Identity } from '../protocol/identity.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import type { Logger } from '../lib/log.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { BzzzNode } from './node.js';
import { clusterParts, createConnector, natsMedium } from './cluster.js';
import { RepairRelay } from './cas-parts.js';
import { createP2PNode, p2pMedium } from './p2p-medium.js';
import { NonRetryableError } from '../lib/errors.js';
import { Leadership } from './leadership.js';
import { NodeMetrics } from './metrics.js';
import type { McpOptions } from './mcp.js';
import { proxyChildren, serviceChildren } from './services.js';
import { fetcherFromRepairSource } from '../adapters/resolver/index.js';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';
import { nodeTaskNames, type NodeTaskNames } from './task-names.js';

export interface MainJob {
  node: BzzzNode;
  pipeline: Pipeline;
  /** Stops the node: the tree stops every part in reverse order. */
  stop(): Promise<void>;
  stuck(): string[];
}

export async function startMainJob(
  config: Config,
  options: Pick<PipelineOptions, 'logger' | 'clock' | 'wrapSandboxes'> & {
    agents: number;
    /** The MCP server's hooks (issue 16's resolver, names and threads), where it listens, or stdio. */
    mcp?: McpOptions;
  },
): Promise<MainJob> {
  await mkdir(config.data_dir, { recursive: true });
  const identity = await loadOrCreateIdentity(config.data_dir);
  const nodeName = config.node_name ?? hostname();
  const agents = agentNames(nodeName, options.agents);
  const components = { clock: options.clock, logger: options.logger };
  const bus = busKind(config);
  const connector = bus === 'nats' ? createConnector(config, nodeName, components) : undefined;
  const metrics = new NodeMetrics({ node: nodeName, cluster: config.cluster });
  // the node's task names: the table in the data dir, the KV bucket with NATS, the DHT with libp2p
  const names = nodeTaskNames(config, { ...components, identity, nodeName, connector, metrics });
  const medium = mediumOf(config, bus, connector, identity, names, options.logger);
  const leadership = new Leadership(identity.nodeId, medium === undefined);
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
    names,
    pollerActive: () => leadership.isLeader(),
  });
  const load = () => ({ tasks: runningTasks(pipeline, agents), maxTasks: config.max_tasks * agents.length });
  const node = await BzzzNode.start(config, {
    ...components,
    metrics,
    view: pipeline.view,
    infra: [...pipeline.infra, ...proxyChildren(config, { ...components, registry: metrics.registry })],
    storage: pipeline.storage,
    checks: pipeline.checks,
    work: pipeline.work,
    build: (context) => {
      const cluster =
        medium === undefined
          ? {}
          : clusterParts(
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
            );
      const services = serviceChildren(
        {
          config,
          nodeId: identity.nodeId,
          pipeline,
          fetcher: fetcherFromRepairSource(repairs.repair),
          names: pipeline.names?.names.index,
          ...(options.mcp === undefined ? {} : { mcp: options.mcp }),
        },
        context,
        { ...components, metrics },
      );
      // after the pipeline's work (built parts come after the given ones): the resolver, the
      // cluster's work, and last the MCP server, which starts once the agents run and stops first
      return { ...cluster, work: [...services.first, ...(cluster.work ?? []), ...services.last] };
    },
  });
  return { node, pipeline, stop: () => node.stop(), stuck: () => node.stuck() };
}

/** What carries the cluster's messages: NATS, libp2p, or nothing (a cluster of one). */
function mediumOf(
  config: Config,
  bus: 'nats' | 'libp2p' | 'local',
  connector: NatsConnector | undefined,
  identity: Identity,
  names: NodeTaskNames,
  logger: Logger,
) {
  if (connector !== undefined) return natsMedium(config, connector);
  return bus === 'libp2p'
    ? p2pMedium(config, createP2PNode(config, identity, logger), identity, names)
    : undefined;
}

/** The names of a node's agents: the node's own for one, numbered after it for several. */
function agentNames(nodeName: string, count: number): string[] {
  return count === 1 ? [nodeName] : Array.from({ length: count }, (_, i) => `${nodeName}-${i + 1}`);
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
