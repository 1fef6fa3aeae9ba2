/**
 * One bzzz node: identity, actor system, metrics, and the root of the supervision tree.
 *
 * ```
 * root (rest_for_one)
 * ├── infra (one_for_one): nats, claims, sandboxes, proxy, health, http
 * ├── cluster (one_for_one): remote, membership, broadcaster, election, micro | p2p-status + names
 * ├── storage (one_for_one): cas, cas-gc, audit, usage-store, names, workspaces, and on a medium
 * │   blob-transfer, cas-replicator, audit-gossip
 * └── work (one_for_one): view, task-metrics, advisor, poller, agents
 * ```
 * Every resource is a child: infrastructure starts first and stops last; a subtree that keeps
 * failing takes the ones after it down with it (rest_for_one), and a failing root ends the
 * node with an error. The parts of a job come from `build`, called with what the node made
 * first (its identity, metrics, actor system and status), so nothing binds to the node late.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ActorSystem } from '../actors/system.js';
import { serviceSpec } from '../actors/service.js';
import { startHttpServer, type HttpServer, type NodeView, type ReadyState } from '../adapters/http/index.js';
import type { Config } from '../config/schema.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { loadOrCreateIdentity } from '../protocol/identity.js';
import type { ChildSpec, ExitReason } from '../supervisor/child.js';
import { supervisorSpec } from '../supervisor/spec.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { dataDirCheck, eventLoopCheck, memoryCheck, treeCheck } from './checks.js';
import { HealthMonitor, type HealthCheck } from './health.js';
import { NodeMetrics } from './metrics.js';
import type { NodeOptions, NodeParts, StatusDocument } from './types.js';

export type { NodeContext, NodeOptions, NodeParts, StatusDocument } from './types.js';
import type { ClusterView } from './view.js';

export class BzzzNode {
  readonly #startedAt: number;
  #http: HttpServer | undefined;
  #health: HealthMonitor | undefined;
  #shutdownListeners: ((reason: string) => void)[] = [];
  #closeChecks: () => void = () => undefined;
  readonly #clusterView: ClusterView | undefined;
  readonly #options: NodeOptions;

  readonly root: Supervisor;

  private constructor(
    readonly config: Config,
    readonly nodeId: string,
    readonly name: string,
    readonly system: ActorSystem,
    readonly metrics: NodeMetrics,
    readonly logger: Logger,
    readonly clock: Clock,
    privateKey: KeyObject,
    given: NodeOptions,
  ) {
    this.#startedAt = clock.now();
    this.#clusterView = given.view;
    const context = { nodeId, name, privateKey, system, metrics, clock, logger, status: () => this.status() };
    const options = withParts(given, given.build?.(context) ?? {});
    this.#options = options;
    this.root = new Supervisor(
      'root',
      {
        strategy: 'rest_for_one',
        intensity: { maxRestarts: 3, periodMs: 5_000 },
        children: [
          supervisorSpec(
            'infra',
            { children: [...(options.infra ?? []), ...this.#infraChildren(options.checks ?? [])] },
            { metrics },
          ),
          supervisorSpec('cluster', { children: options.cluster ?? [] }, { metrics }),
          supervisorSpec('storage', { children: options.storage ?? [] }, { metrics }),
          supervisorSpec(
            'work',
            { children: options.work ?? [], intensity: { maxRestarts: 5, periodMs: 10_000 } },
            { metrics },
          ),
          ...(options.children ?? []),
        ],
      },
      { system, clock, logger, metrics },
    );
  }

  /** Creates the data dir and identity, then starts the whole tree. */
  static async start(config: Config, options: NodeOptions = {}): Promise<BzzzNode> {
    const clock = options.clock ?? systemClock;
    await mkdir(config.data_dir, { recursive: true });
    const identity = await loadOrCreateIdentity(config.data_dir);
    const name = config.node_name ?? hostname();
    const logger = (options.logger ?? silentLogger()).child({ node: name });
    if (identity.created)
      logger.info({ nodeId: identity.nodeId, path: identity.path }, 'created node identity');
    const metrics = options.metrics ?? new NodeMetrics({ node: name, cluster: config.cluster });
    const system = new ActorSystem(
      { nodeId: identity.nodeId, mailboxCapacity: config.mailbox_capacity },
      { clock, logger, metrics },
    );
    const { nodeId, privateKey } = identity;
    const node = new BzzzNode(config, nodeId, name, system, metrics, logger, clock, privateKey, options);
    try {
      await node.root.start();
    } catch (error) {
      node.#closeChecks();
      throw error;
    }
    logger.info({ nodeId: identity.nodeId, http: node.#http?.url }, 'node started');
    return node;
  }

  /** The HTTP server's URL, once started. */
  get httpUrl(): string | undefined {
    return this.#http?.url;
  }

  /** Stops the tree in reverse order. */
  stop(): Promise<void> {
    return this.root.stop().finally(() => {
      this.#closeChecks();
      this.system.close();
    });
  }

  /** Paths of children that are still stopping (named when a shutdown times out). */
  stuck(): string[] {
    return this.root.stuck();
  }

  onExit(listener: (reason: ExitReason) => void): void {
    this.root.onExit(listener);
  }

  /** Called when the node decides to shut itself down (a critical check stayed failed). */
  onShutdownRequest(listener: (reason: string) => void): void {
    this.#shutdownListeners.push(listener);
  }

  ready(): ReadyState {
    const reasons: string[] = [];
    if (this.root.state !== 'running') reasons.push(`supervision tree ${this.root.state}`);
    if (this.#http === undefined) reasons.push('http not started');
    reasons.push(...(this.#options.notReady?.() ?? []));
    return { ready: reasons.length === 0, reasons };
  }

  #infraChildren(extra: HealthCheck[]): ChildSpec[] {
    const loop = eventLoopCheck();
    this.#closeChecks = () => loop.close();
    const checks = [
      treeCheck(() => this.root.state),
      dataDirCheck(this.config.data_dir),
      loop,
      memoryCheck(),
      ...extra,
    ];
    const health = serviceSpec('health', () => {
      const monitor = new HealthMonitor(checks, {
        clock: this.clock,
        logger: this.logger,
        defaultIntervalMs: this.config.health_interval_ms,
        criticalGraceMs: this.config.critical_grace_ms,
        onCriticalFailure: (check, message) => {
          for (const listener of this.#shutdownListeners)
            listener(`critical health check ${check} failed: ${message}`);
        },
        onStatus: (check, up) => this.metrics.healthCheck.set({ check }, up ? 1 : 0),
      });
      this.#health = monitor;
      void monitor.start();
      return Promise.resolve(monitor);
    });
    const http = serviceSpec('http', async () => {
      const server = await startHttpServer(
        { host: this.config.http_host, port: this.config.http_port },
        { view: this.#view(), logger: this.logger },
      );
      this.#http = server;
      this.logger.info({ url: server.url }, 'HTTP listening');
      return {
        onFailure: (listener: (error: Error) => void) => server.onFailure(listener),
        stop: async () => {
          this.#http = undefined;
          await server.stop();
        },
        kill: () => {
          this.#http = undefined;
          server.kill();
        },
      };
    });
    return [health, http];
  }

  #view(): NodeView {
    return {
      ready: () => {
        const state = this.ready();
        this.metrics.ready.set(state.ready ? 1 : 0);
        return state;
      },
      health: () => ({
        status: this.#health?.overall() ?? 'pass',
        ready: this.ready().ready,
        node: this.name,
        uptime_s: Math.round((this.clock.now() - this.#startedAt) / 1000),
        checks: this.#health?.statuses() ?? [],
      }),
      checks: () => this.#health?.statuses() ?? [],
      metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
      status: () => this.status(),
      peers: () => this.status().nodes,
      tasks: () => this.status().tasks,
      p2pPeers: () => this.#options.p2pPeers?.(),
      casBlob: (hash) => this.#options.casBlob?.(hash),
      leader: () => {
        const leader = this.#options.leader?.() ?? null;
        if (leader === null) return null;
        const name =
          leader.node === this.nodeId
            ? this.name
            : this.#options.peers?.().find((p) => p.id === leader.node)?.name;
        return { node: leader.node, name: name ?? null, term: leader.term };
      },
    };
  }

  /** The cluster view (SPEC §4 `bzzz status --json`). */
  status(): StatusDocument {
    const self = { id: this.nodeId, name: this.name };
    const tasks = Object.values(this.#clusterView?.getSnapshot().context.tasks ?? {}).map((t) => ({
      key: t.key,
      state: t.state,
      holder: t.holder,
    }));
    const running = tasks.filter((t) => t.holder !== null).length;
    return {
      cluster: this.config.cluster,
      self,
      leader: this.#options.leader?.() ?? null,
      nodes: [
        { ...self, state: 'alive', capabilities: this.config.capabilities, tasks: running },
        ...(this.#options.peers?.() ?? []).filter((p) => p.id !== this.nodeId),
      ],
      tasks,
    };
  }
}

/**
 * The options with the built parts: built children first (but in `storage` and `work`, last),
 * callbacks from the parts if given.
 */
function withParts(options: NodeOptions, parts: NodeParts): NodeOptions {
  const list = (key: 'infra' | 'cluster') => [...(parts[key] ?? []), ...(options[key] ?? [])];
  return {
    ...options,
    ...parts,
    infra: list('infra'),
    cluster: list('cluster'),
    // the built storage (the CAS replicator) builds on the options' (the content store)
    storage: [...(options.storage ?? []), ...(parts.storage ?? [])],
    // the built work (the MCP server) serves what the options' work runs: it starts after it
    work: [...(options.work ?? []), ...(parts.work ?? [])],
    checks: [...(parts.checks ?? []), ...(options.checks ?? [])],
  };
}
