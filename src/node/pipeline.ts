/**
 * The ports of the main job, built from the configuration: the forge, the claim store, the
 * reasoner, the sandboxes and the escalation webhook; and the work children that use them
 * (the read-model feeder, the poller and N agents). `bzzz up` runs N agents in one process;
 * `bzzz agent` runs one.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { agentSpec } from '../actors/agent.js';
import { advisorSpec } from '../actors/hmmm.js';
import { WhooshTracker } from '../actors/whoosh.js';
import { createWhooshClient } from '../adapters/whoosh/index.js';
import { pollerSpec } from '../actors/poller.js';
import type { SandboxProvider, TaskDeps } from '../actors/task/deps.js';
import { createWorkspaces } from '../adapters/workspace/index.js';
import type { ActorSystem } from '../actors/system.js';
import { createClaimStore, type ClaimStore } from '../adapters/claims/index.js';
import { createEscalationNotifier } from '../adapters/escalation/index.js';
import { GitHubForge, LocalForge, type Forge } from '../adapters/forge/index.js';
import { createReasoner, type Reasoner, type ReasonerInit } from '../adapters/llm/index.js';
import { forgeDir, natsAuth, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { NonRetryableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { SupervisorMetrics } from '../supervisor/types.js';
import { selectSandboxes, type SandboxChoice } from './sandboxes.js';
import { createClusterView, viewSpec, type ClusterView } from './view.js';

export interface PipelineOptions {
  config: Config;
  nodeId: string;
  /** Agent names; one agent actor subtree each. */
  agents: string[];
  logger: Logger;
  clock: Clock;
  /** Wraps the sandbox provider (benchmarks measure the time inside commands with it). */
  wrapSandboxes?: (provider: SandboxProvider) => SandboxProvider;
  /** The poller polls only while this holds (the elected leader); default always. */
  pollerActive?: () => boolean;
}

export interface Pipeline {
  readonly forge: Forge;
  readonly claims: ClaimStore;
  readonly view: ClusterView;
  readonly sandbox: SandboxChoice;
  readonly reasoner: Reasoner;
  children(metrics?: SupervisorMetrics): ChildSpec[];
  close(): Promise<void>;
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
      };
    case 'openai':
      if (config.openai_base_url === undefined)
        throw new NonRetryableError('BZZZ_LLM=openai needs BZZZ_OPENAI_BASE_URL');
      return {
        backend: 'openai',
        baseUrl: config.openai_base_url,
        model: config.model ?? 'gpt-4o-mini',
        ...(config.openai_api_key ? { apiKey: config.openai_api_key } : {}),
      };
  }
}

function createForgeFromConfig(config: Config, components: { logger: Logger; clock: Clock }): Forge {
  if (config.forge === 'local') return new LocalForge({ dir: forgeDir(config) }, components);
  if (config.github_token === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_GITHUB_TOKEN or BZZZ_GITHUB_TOKEN_FILE');
  }
  if (config.repos.length === 0 && config.whoosh_url === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_REPOS (OWNER/NAME,...) or BZZZ_WHOOSH_URL');
  }
  return new GitHubForge(
    {
      token: config.github_token,
      repos: config.repos,
      ...(config.github_api_url ? { apiUrl: config.github_api_url } : {}),
    },
    components,
  );
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { config, logger, clock } = options;
  const components = { logger, clock };
  const forge = createForgeFromConfig(config, components);
  // one process: the in-process table; a cluster: JetStream KV, the same for every node
  const claims = createClaimStore(
    config.nats_url === undefined
      ? { backend: 'memory' }
      : {
          backend: 'jetstream',
          cluster: config.cluster,
          servers: config.nats_url.split(','),
          auth: natsAuth(config),
        },
    components,
  );
  await claims.start();
  const reasoner = createReasoner(reasonerInit(config), components);
  const sandbox = await selectSandboxes(config, { nodeId: options.nodeId, logger, clock });
  const sandboxes = options.wrapSandboxes ? options.wrapSandboxes(sandbox.provider) : sandbox.provider;
  const escalation = createEscalationNotifier(
    config.escalation_webhook ? { webhookUrl: config.escalation_webhook } : {},
    components,
  );
  const whoosh =
    config.whoosh_url === undefined
      ? undefined
      : new WhooshTracker(
          createWhooshClient(
            { url: config.whoosh_url, ...(config.whoosh_api_key ? { apiKey: config.whoosh_api_key } : {}) },
            components,
          ),
          logger,
        );
  const scratchDir = join(config.data_dir, 'scratch');
  // clones an earlier run of this node left behind (a crash): this node's data dir is its own
  await rm(scratchDir, { recursive: true, force: true });
  await mkdir(scratchDir, { recursive: true });
  const workspaces = createWorkspaces(
    { scratchDir, warm: config.warm_workspaces },
    { forge, sandboxes, clock, logger },
  );
  await workspaces.start();
  const view = createClusterView(() => clock.now());
  const pollIntervalMs = config.poll_interval_ms ?? (config.forge === 'local' ? 500 : 30_000);

  const depsFor =
    (agent: string) =>
    (agentPath: string, system: ActorSystem): TaskDeps => ({
      agent,
      node: options.nodeId,
      agentPath,
      system,
      claims,
      leaseTtlMs: config.lease_ttl_ms,
      leaseSkewMs: Math.min(1_000, Math.floor(config.lease_ttl_ms / 5)),
      forge,
      reasoner,
      limits: {},
      workspaces,
      escalation,
      whoosh,
      helpTimeoutMs: config.help_timeout_ms,
      clock,
      logger,
    });

  return {
    forge,
    claims,
    view,
    sandbox,
    reasoner,
    children: (metrics) => [
      viewSpec(view),
      ...(config.llm === 'scripted'
        ? []
        : [
            advisorSpec({
              name: `${options.agents[0] ?? 'agent'}-advisor`,
              reasoner,
              capabilities: config.capabilities,
              logger,
            }),
          ]),
      pollerSpec({
        forge,
        claims,
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
          deps: depsFor(name),
          ...(metrics ? { metrics } : {}),
        }),
      ),
    ],
    close: async () => {
      await workspaces.stop();
      await sandbox.close();
      await claims.stop();
    },
  };
}
