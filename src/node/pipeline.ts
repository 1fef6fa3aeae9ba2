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
import {
  ForgeClaimStore,
  JetStreamClaimStore,
  MemoryClaimStore,
  type ClaimStore,
} from '../adapters/claims/index.js';
import { createEscalationNotifier } from '../adapters/escalation/index.js';
import { createForge, type FencedEffect, type Forge, type ForgeInit } from '../adapters/forge/index.js';
import { createReasoner, type Reasoner, type ReasonerInit } from '../adapters/llm/index.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import { forgeDir, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { NonRetryableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import { countedClaims } from './counted-claims.js';
import { forgeTestSwitches } from './test-switches.js';
import type { NodeMetrics } from './metrics.js';
import { SandboxService } from './sandboxes.js';
import { taskMetricsSpec } from './task-metrics.js';
import { timedSandboxes } from './timed-sandboxes.js';
import { createClusterView, viewSpec, type ClusterView } from './view.js';

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
  /** Children of `storage`: the content store and its gc, the audit log, then the warm workspaces. */
  readonly storage: ChildSpec[];
  /** The node's audit log and witness book (the cluster gossips its head). */
  readonly audit: AuditService;
  /** Health checks of the pipeline's parts (the content store's cache). */
  readonly checks: HealthCheck[];
  /** Children of `work`: the read model's and the metrics' feeders, the advisor, the poller and the agents. */
  readonly work: ChildSpec[];
}

export function reasonerInit(config: Config): ReasonerInit {
  switch (config.llm) {
    case 'scripted':
      return { backend: 'scripted' };
    case 'ollama':
      return {
        backend: 'ollama',
        model: config.model ?? 'llama3.1',
        ...(config.ollama_host ? { host: config.ollama_host } : {}),
        ...(config.context_tokens ? { contextTokens: config.context_tokens } : {}),
      };
    case 'openai':
      if (config.openai_base_url === undefined)
        throw new NonRetryableError('BZZZ_LLM=openai needs BZZZ_OPENAI_BASE_URL');
      return {
        backend: 'openai',
        baseUrl: config.openai_base_url,
        model: config.model ?? 'gpt-4o-mini',
        ...(config.openai_api_key ? { apiKey: config.openai_api_key } : {}),
        ...(config.context_tokens ? { contextTokens: config.context_tokens } : {}),
      };
  }
}

/** The forge the configuration names, with the two settings GitHub cannot do without. */
function forgeInit(config: Config, logger: Logger): ForgeInit {
  if (config.forge === 'local') {
    return { kind: 'local', dir: forgeDir(config), ...forgeTestSwitches(process.env, logger) };
  }
  if (config.github_token === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_GITHUB_TOKEN or BZZZ_GITHUB_TOKEN_FILE');
  }
  if (config.repos.length === 0 && config.whoosh_url === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_REPOS (OWNER/NAME,...) or BZZZ_WHOOSH_URL');
  }
  return {
    kind: 'github',
    token: config.github_token,
    repos: config.repos,
    ...(config.github_api_url ? { apiUrl: config.github_api_url } : {}),
  };
}

/**
 * The claim store `BZZZ_CLAIMS` names, by default: JetStream KV on the node's connection in a
 * NATS cluster; else the lease table in the local forge's directory, which every process of
 * the host that shares the forge shares too; else (GitHub, one process) the in-process table.
 */
export function claimStore(
  config: Config,
  connector: NatsConnector | undefined,
  components: { logger: Logger; clock: Clock },
): ClaimStore {
  const kind = config.claims ?? (connector ? 'jetstream' : config.forge === 'local' ? 'forge' : 'memory');
  if (kind === 'jetstream') {
    if (connector === undefined) throw new NonRetryableError('BZZZ_CLAIMS=jetstream needs BZZZ_NATS_URL');
    return new JetStreamClaimStore({ cluster: config.cluster }, { ...components, connector });
  }
  if (kind === 'forge')
    return new ForgeClaimStore({ dir: forgeDir(config), cluster: config.cluster }, components);
  return new MemoryClaimStore(components);
}

/** The ports a task uses, besides the ones that are children of the tree. */
interface Ports {
  forge: Forge;
  claims: ClaimStore;
  reasoner: Reasoner;
  workspaces: Workspaces;
  escalation: ReturnType<typeof createEscalationNotifier>;
  whoosh: WhooshTracker | undefined;
  audit: AuditService['record'];
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { config, logger, clock, metrics } = options;
  const components = { logger, clock };
  // the local forge's `onFencedRejection` hook (issue 13) counts the stale effects it refuses
  const forgeComponents = {
    ...components,
    onFencedRejection: (effect: FencedEffect) => metrics?.fencedRejection(effect),
  };
  const forge = createForge(forgeInit(config, logger), forgeComponents);
  const claims = claimStore(config, options.connector, components);
  const sandbox = new SandboxService(config, { nodeId: options.nodeId, logger, clock });
  const provider = options.wrapSandboxes ? options.wrapSandboxes(sandbox.provider) : sandbox.provider;
  const sandboxes = metrics ? timedSandboxes(provider, metrics) : provider;
  const workspaces = createWorkspaces(
    { scratchDir: join(config.data_dir, 'scratch'), warm: config.warm_workspaces },
    { forge, sandboxes, clock, logger },
  );
  const cas = contentStoreService(config, {
    logger,
    clock,
    metrics,
    ...(options.casRepair === undefined ? {} : { repair: options.casRepair }),
  });
  const { nodeId, privateKey } = options;
  const audit = auditService(config, { store: cas.store, nodeId, privateKey, clock, logger, metrics });
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
  };
  const view = createClusterView(() => clock.now());
  return {
    forge,
    claims,
    contentStore: cas.store,
    checks: [...cas.checks, ...audit.checks],
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
    storage: [
      ...cas.children,
      ...audit.children,
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
    clock,
    logger,
  });
}
