/**
 * The Prometheus metrics of one node (a registry per node, so several nodes can live in one
 * process in tests). Every name starts with `bzzz_`, process metrics included; the series of
 * the one-agent-per-task guarantee are defined in guarantee-metrics.ts.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActorSystemMetrics, DeadLetterReason } from '../actors/system.js';
import type { ChildType } from '../supervisor/child.js';
import type { SupervisorMetrics } from '../supervisor/types.js';
import { effectSeries, leaseSeries, taskSeries } from './guarantee-metrics.js';

export class NodeMetrics implements ActorSystemMetrics, SupervisorMetrics {
  readonly registry = new Registry();
  readonly restarts: Counter<'supervisor'>;
  readonly actors: Gauge<'kind'>;
  readonly deadLetters: Counter<'reason'>;
  readonly mailboxDroppedTotal: Counter;
  readonly messagesRejected: Counter<'reason'>;
  readonly healthCheck: Gauge<'check'>;
  readonly ready: Gauge;
  readonly peersGauge: Gauge<'state'>;
  readonly tasks: ReturnType<typeof taskSeries>;
  readonly leases: ReturnType<typeof leaseSeries>;
  readonly effects: ReturnType<typeof effectSeries>;
  /** How many task leases this node holds now; the claim counter sets it. */
  #heldLeases: () => number = () => 0;

  constructor(labels: { node: string; cluster: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'bzzz_' });
    // gauges named like counters (promtool objects); the same figures by type stay, unsuffixed
    for (const kind of ['handles', 'requests', 'resources'])
      this.registry.removeSingleMetric(`bzzz_nodejs_active_${kind}_total`);
    const registers = [this.registry];
    this.restarts = new Counter({
      name: 'bzzz_actor_restarts_total',
      help: 'Restarts of supervised children, by supervisor path',
      labelNames: ['supervisor'],
      registers,
    });
    this.actors = new Gauge({
      name: 'bzzz_actors',
      help: 'Running supervised children, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.actors.set({ kind: 'worker' }, 0);
    this.actors.set({ kind: 'supervisor' }, 0);
    this.deadLetters = new Counter({
      name: 'bzzz_dead_letters_total',
      help: 'Messages to unknown or stopped actors',
      labelNames: ['reason'],
      registers,
    });
    this.mailboxDroppedTotal = new Counter({
      name: 'bzzz_mailbox_dropped_total',
      help: 'Messages dropped because a mailbox was full (policy: drop newest)',
      registers,
    });
    this.messagesRejected = new Counter({
      name: 'bzzz_messages_rejected_total',
      help: 'Messages from outside the process that were dropped, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.healthCheck = new Gauge({
      name: 'bzzz_health_check_up',
      help: '1 when the health check passes, 0 when it fails',
      labelNames: ['check'],
      registers,
    });
    this.ready = new Gauge({ name: 'bzzz_ready', help: '1 when the node is ready', registers });
    this.peersGauge = new Gauge({
      name: 'bzzz_peers',
      help: 'Known peer nodes, by state',
      labelNames: ['state'],
      registers,
    });
    this.tasks = taskSeries(registers);
    this.leases = leaseSeries(registers, () => this.#heldLeases());
    this.effects = effectSeries(registers);
  }

  restarted(path: string): void {
    const slash = path.lastIndexOf('/');
    this.restarts.inc({ supervisor: slash < 0 ? '' : path.slice(0, slash) });
  }

  started(type: ChildType): void {
    this.actors.inc({ kind: type });
  }

  stopped(type: ChildType): void {
    this.actors.dec({ kind: type });
  }

  deadLetter(reason: DeadLetterReason): void {
    this.deadLetters.inc({ reason });
  }

  mailboxDropped(): void {
    this.mailboxDroppedTotal.inc();
  }

  rejected(reason: string): void {
    this.messagesRejected.inc({ reason });
  }

  peers(counts: Record<string, number>): void {
    for (const [state, count] of Object.entries(counts)) this.peersGauge.set({ state }, count);
  }

  /** A task of this node reached an outcome, `seconds` after it was claimed (when known). */
  taskEnded(outcome: string, seconds: number | undefined): void {
    this.tasks.total.inc({ outcome });
    if (seconds !== undefined) this.tasks.duration.observe({ outcome }, seconds);
  }

  /** A task of this node changed state (undefined: it was not ours before, or is no longer). */
  taskMoved(from: string | undefined, to: string | undefined): void {
    if (from !== undefined) this.tasks.states.dec({ state: from });
    if (to !== undefined) this.tasks.states.inc({ state: to });
  }

  /** Where `bzzz_leases_held` reads its value at each scrape. */
  countHeldLeases(source: () => number): void {
    this.#heldLeases = source;
  }

  leaseRenewed(): void {
    this.leases.renewals.inc();
  }

  leaseLost(reason: string): void {
    this.leases.lost.inc({ reason });
  }

  claimContended(): void {
    this.leases.contended.inc();
  }

  sandboxExec(backend: string, seconds: number): void {
    this.effects.sandboxExec.observe({ backend }, seconds);
  }

  /**
   * The libp2p node's gauges, read at each scrape: connected peers and the DHT's routing table.
   * Only a node on libp2p calls this, so only its /metrics has them.
   */
  observeP2P(source: { peers(): number; routingTable(): number }): void {
    const registers = [this.registry];
    for (const name of ['bzzz_p2p_peers', 'bzzz_dht_routing_table_size'])
      this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'bzzz_p2p_peers',
      help: 'Peers with an open libp2p connection to this node',
      registers,
      collect() {
        this.set(source.peers());
      },
    });
    new Gauge({
      name: 'bzzz_dht_routing_table_size',
      help: "Peers in this node's Kademlia DHT routing table",
      registers,
      collect() {
        this.set(source.routingTable());
      },
    });
  }

  /**
   * The content store's series: `bzzz_cas_blobs`, `bzzz_cas_bytes` and
   * `bzzz_cas_under_replicated` read from `source` at each scrape, and the counters the
   * replicator bumps through the returned functions.
   */
  observeCas(source: { underReplicated(): number; stats(): Promise<{ blobs: number; bytes: number }> }): {
    replicated(outcome: 'ok' | 'failed'): void;
    repaired(outcome: 'ok' | 'failed'): void;
    badCopy(): void;
  } {
    const registers = [this.registry];
    for (const name of [
      'bzzz_cas_under_replicated',
      'bzzz_cas_replications_total',
      'bzzz_cas_bad_copies_total',
    ])
      this.registry.removeSingleMetric(name);
    // the store's own series (content-store.ts) when the node has them; else this node's
    for (const [name, help, figure] of [
      ['bzzz_cas_blobs', "Blobs held by this node's content store", 'blobs'],
      [
        'bzzz_cas_bytes',
        "Bytes of the blobs held by this node's content store (before compression)",
        'bytes',
      ],
    ] as const)
      if (this.registry.getSingleMetric(name) === undefined)
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            // a store not open (starting, restarting) keeps the last figure
            const stats = await source.stats().catch(() => undefined);
            if (stats !== undefined) this.set(stats[figure]);
          },
        });
    new Gauge({
      name: 'bzzz_cas_under_replicated',
      help: 'Pinned blobs known to this node with fewer live holders than the replication factor',
      registers,
      collect() {
        this.set(source.underReplicated());
      },
    });
    const replications = new Counter({
      name: 'bzzz_cas_replications_total',
      help: 'Blobs this node fetched because placement wants them here, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    const repairs =
      (this.registry.getSingleMetric('bzzz_cas_repairs_total') as Counter<'outcome'> | undefined) ??
      new Counter({
        name: 'bzzz_cas_repairs_total',
        help: 'Repairs of corrupt or missing blobs from a replica, by outcome',
        labelNames: ['outcome'],
        registers,
      });
    const badCopies = new Counter({
      name: 'bzzz_cas_bad_copies_total',
      help: 'Copies refused because a holder sent bytes that do not hash to the blob',
      registers,
    });
    for (const outcome of ['ok', 'failed']) replications.inc({ outcome }, 0);
    for (const outcome of ['repaired', 'failed']) repairs.inc({ outcome }, 0);
    return {
      replicated: (outcome) => replications.inc({ outcome }),
      // one counter with the store's hook: a blob fetched again after its holder died is repaired too
      repaired: (outcome) => repairs.inc({ outcome: outcome === 'ok' ? 'repaired' : 'failed' }),
      badCopy: () => badCopies.inc(),
    };
  }

  /** A forge refused an effect for its stale fencing token (for the forge's `onFencedRejection`). */
  fencedRejection(effect: string): void {
    this.effects.fencedRejected.inc({ effect });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
