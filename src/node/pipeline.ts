/**
 * The ports of the main job, built from the configuration: the forge, the claim store, the
 * reasoner, the sandboxes and the escalation webhook; and the children that hold them: the
 * claim store and the sandbox provider (`infra`), the warm workspaces (`storage`), and the
 * work children that use them (the read-model and metrics feeders, the poller and N agents).
 * Nothing is started here: the tree opens each in order and stops them in reverse. `bzzz up`
 * runs N agents in one process; `bzzz agent` runs one.
 */
import { join } from 'node:path';
import { agentSpec } from '../actors/agent.js';
import { advisorSpec } from '../actors/hmmm.js';
import { WhooshTracker } from '../actors/whoosh.js';
import { createWhooshClient } from '../adapters/whoosh/index.js';
import { pollerSpec } from '../actors/poller.js';
import type { TaskDeps } from '../actors/task/deps.js';
import type { SandboxProvider } from '../adapters/workspace/index.js';
import { createWorkspaces, type Workspaces } from '../adapters/workspace/index.js';
import type { ActorSystem } from '../actors/system.js';
import type { ContentStore, RepairSource } from '../adapters/cas/index.js';
import { contentStoreService } from './content-store.js';
import { auditService, type AuditService } from './audit-service.js';
import type { KeyObject } from 'node:crypto';
import type { HealthCheck } from './health.js';
import { serviceSpec } from '../actors/service.js';
import type { ClaimStore } from '../adapters/claims/index.js';
import { createEscalationNotifier } from '../adapters/escalation/index.js';
import { createForge, type FencedEffect, type Forge } from '../adapters/forge/index.js';
import { createReasoner, type Reasoner } from '../adapters/llm/index.js';
import { createTaskThreads, type TaskThreads } from '../adapters/threads/index.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import { planReviewMs, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import { countedClaims } from './counted-claims.js';
import { reasonerInit } from './reasoner-init.js';
import { taskRecording, type NodeTaskNames } from './task-names.js';
import { claimStore, forgeInit } from './pipeline-ports.js';
import { auditBlobOf } from './audit-blob.js';
import type { NodeMetrics } from './metrics.js';
import { SandboxService } from './sandboxes.js';
import { taskMetricsSpec } from './task-metrics.js';
import { usageStoreService } from './usage-store.js';
import type { UsageStore } from '../adapters/usage/index.js';
import { timedSandboxes } from './timed-sandboxes.js';
import { createClusterView, viewSpec, type ClusterView } from './view.js';

export { reasonerInit } from './reasoner-init.js';
export { claimStore } from './pipeline-ports.js';

export interface PipelineOptions {
  config: Config;
  /** Where the content store fetches a good copy of a corrupt blob (the CAS replicator, when running). */
  casRepair?: RepairSource;
  nodeId: string;
  /** The node's key: it signs the audit log. */
  privateKey: KeyObject;
  /** Agent names; one agent actor subtree each. */
  agents: string[];
  logger: Logger;
  clock: Clock;
  /** Wraps the sandbox provider (benchmarks measure the time inside commands with it). */
  wrapSandboxes?: (provider: SandboxProvider) => SandboxProvider;
  /** The poller polls only while this holds (the elected leader); default always. */
  pollerActive?: () => boolean;
  /** The node's NATS connection: claims in JetStream KV on it; without it, in memory. */
  connector?: NatsConnector | undefined;
  /** The node's metrics: the tasks' claims, commands and progress are counted into them. */
  metrics?: NodeMetrics;
  /** The node's task names: its tasks are recorded and named (issue 16). */
  names?: NodeTaskNames;
}

export interface Pipeline {
  readonly forge: Forge;
  readonly claims: ClaimStore;
  readonly view: ClusterView;
  readonly sandbox: SandboxService;
  readonly reasoner: Reasoner;
  /** Children of `infra`: the claim store, then the sandbox provider. */
  readonly infra: ChildSpec[];
  /** The node's content store (a child of `storage`; the CAS replicator builds on it). */
  readonly contentStore: ContentStore;
  /** The HMMM threads of this node's tasks, in the content store (`threads.head(key)`: a task's `thread`). */
  readonly threads: TaskThreads;
  /** Usage records and task history (PostgreSQL or `<data_dir>/history.db`), a child of `storage`. */
  readonly usage: UsageStore;
  /** Children of `storage`: the content store and its gc, the audit log, the usage store, the name table, the warm workspaces. */
  readonly storage: ChildSpec[];
  /** The node's audit log and witness book (the cluster gossips its head). */
  readonly audit: AuditService;
  /** Health checks of the pipeline's parts (the content store's cache, the usage store, the audit log). */
  readonly checks: HealthCheck[];
  /** Children of `work`: the read model's and the metrics' feeders, the advisor, the poller and the agents. */
  readonly work: ChildSpec[];
  /** The node's task names (the resolver looks names up in `names.index`), when it has them. */
  readonly names: NodeTaskNames | undefined;
}

/** The ports a task uses, besides the ones that are children of the tree. */
interface Ports {
  forge: Forge;
  claims: ClaimStore;
  reasoner: Reasoner;
  workspaces: Workspaces;
  escalation: ReturnType<typeof createEscalationNotifier>;
  whoosh: WhooshTracker | undefined;
  threads: TaskThreads;
  outcomes: UsageStore;
  recorder: TaskDeps['recorder'];
  audit: AuditService['record'];
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { config, logger, clock, metrics } = options;
  const components = { logger, clock };
  const usage = usageStoreService(config, components);
  // the local forge's `onFencedRejection` hook (issue 13) counts the stale effects it refuses
  const onFencedRejection = (effect: FencedEffect) => metrics?.fencedRejection(effect);
  const forge = createForge(forgeInit(config, logger), { ...components, onFencedRejection });
  const claims = claimStore(config, options.connector, components);
  const { sandbox, workspaces } = sandboxParts(options, forge);
  const view = createClusterView(() => clock.now());
  const cas = contentStoreService(config, {
    logger,
    clock,
    metrics,
    ...(options.casRepair === undefined ? {} : { repair: options.casRepair }),
  });
  const { nodeId, privateKey } = options;
  const audit = auditService(config, { store: cas.store, nodeId, privateKey, clock, logger, metrics });
  const { threads, recording } = threadsAndRecording(
    options,
    cas.store,
    auditBlobOf(config.data_dir, nodeId, cas.store),
  );
  const ports: Ports = {
    forge: audit.wrapForge(forge),
    // the tasks' claims are counted and audited; the election's (on `pipeline.claims`) are not task leases
    claims: audit.wrapClaims(metrics ? countedClaims(claims, metrics, () => clock.now()) : claims),
    audit: audit.record,
    reasoner: createReasoner(reasonerInit(config), components),
    workspaces,
    escalation: createEscalationNotifier(
      config.escalation_webhook ? { webhookUrl: config.escalation_webhook } : {},
      components,
    ),
    whoosh: whooshTracker(config, components),
    threads,
    outcomes: usage.store,
    recorder: recording?.recorder,
  };
  return {
    forge,
    claims,
    contentStore: cas.store,
    threads: ports.threads,
    checks: [...cas.checks, ...usage.checks, ...audit.checks],
    usage: usage.store,
    audit,
    view,
    sandbox,
    reasoner: ports.reasoner,
    infra: [
      serviceSpec('claims', async () => {
        await claims.start();
        return { stop: () => claims.stop() };
      }),
      serviceSpec('sandboxes', () => sandbox.open(), { openTimeoutMs: 120_000 }),
    ],
    names: options.names,
    storage: [
      ...cas.children,
      ...audit.children,
      ...usage.children,
      ...(recording === undefined ? [] : [recording.child]),
      serviceSpec('workspaces', async () => {
        await workspaces.start();
        return { stop: () => workspaces.stop() };
      }),
    ],
    work: [
      viewSpec(view),
      ...(metrics ? [taskMetricsSpec(options.nodeId, metrics)] : []),
      ...workChildren(options, ports),
    ],
  };
}

/** The sandbox service and the tasks' workspaces in its sandboxes (timed into the metrics). */
function sandboxParts(options: PipelineOptions, forge: Forge) {
  const { config, logger, clock, metrics } = options;
  const sandbox = new SandboxService(config, { nodeId: options.nodeId, logger, clock });
  const provider = options.wrapSandboxes ? options.wrapSandboxes(sandbox.provider) : sandbox.provider;
  const sandboxes = metrics ? timedSandboxes(provider, metrics) : provider;
  const workspaces = createWorkspaces(
    { scratchDir: join(config.data_dir, 'scratch'), warm: config.warm_workspaces },
    { forge, sandboxes, clock, logger },
  );
  return { sandbox, workspaces };
}

/** The tasks' HMMM threads, and (with task names) the recorder of every task's end. */
function threadsAndRecording(
  options: PipelineOptions,
  store: ContentStore,
  auditBlob: (task: string) => Promise<string | undefined>,
) {
  const { config, logger, clock } = options;
  // a node of a thread another node wrote comes from a replica, as a repair does
  const fetchBlob = options.casRepair;
  const threads = createTaskThreads({}, { store, logger, clock, ...(fetchBlob ? { fetchBlob } : {}) });
  const names = options.names;
  const recording =
    names &&
    taskRecording(config, names, {
      store,
      nodeId: options.nodeId,
      clock,
      logger,
      threadHead: (task) => threads.head(task),
      auditBlob,
    });
  return { threads, recording };
}

function whooshTracker(
  config: Config,
  components: { logger: Logger; clock: Clock },
): WhooshTracker | undefined {
  if (config.whoosh_url === undefined) return undefined;
  const client = createWhooshClient(
    { url: config.whoosh_url, ...(config.whoosh_api_key ? { apiKey: config.whoosh_api_key } : {}) },
    components,
  );
  return new WhooshTracker(client, components.logger);
}

/** The advisor (with a reasoning model), the poller and one agent per name. */
function workChildren(options: PipelineOptions, ports: Ports): ChildSpec[] {
  const { config, logger } = options;
  const pollIntervalMs = config.poll_interval_ms ?? (config.forge === 'local' ? 500 : 30_000);
  const { whoosh } = ports;
  return [
    ...(config.llm === 'scripted'
      ? []
      : [
          advisorSpec({
            name: `${options.agents[0] ?? 'agent'}-advisor`,
            node: options.nodeId,
            reasoner: ports.reasoner,
            capabilities: config.capabilities,
            threads: ports.threads,
            logger,
          }),
        ]),
    pollerSpec({
      forge: ports.forge,
      claims: ports.claims,
      intervalMs: pollIntervalMs,
      logger,
      ...(options.pollerActive ? { active: options.pollerActive } : {}),
      ...(whoosh ? { sources: [() => whoosh.tasks()] } : {}),
    }),
    ...options.agents.map((name, i) =>
      agentSpec({
        id: `agent-${i + 1}`,
        name,
        maxTasks: config.max_tasks,
        capabilities: config.capabilities,
        deps: depsFor(name, options, ports),
      }),
    ),
  ];
}

/** What the tasks of one agent get. */
function depsFor(agent: string, options: PipelineOptions, ports: Ports) {
  const { config, clock, logger } = options;
  return (agentPath: string, system: ActorSystem): TaskDeps => ({
    ...ports,
    agent,
    node: options.nodeId,
    agentPath,
    system,
    leaseTtlMs: config.lease_ttl_ms,
    leaseSkewMs: Math.min(1_000, Math.floor(config.lease_ttl_ms / 5)),
    limits: {},
    helpTimeoutMs: config.help_timeout_ms,
    planReviewMs: planReviewMs(config),
    clock,
    logger,
  });
}
