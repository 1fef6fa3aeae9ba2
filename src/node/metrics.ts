/**
 * The Prometheus metrics of one node (a registry per node, so several nodes can live in one
 * process in tests). Every name starts with `bzzz_`, process metrics included.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActorSystemMetrics, DeadLetterReason } from '../actors/system.js';
import type { ChildType } from '../supervisor/child.js';
import type { SupervisorMetrics } from '../supervisor/types.js';

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

  constructor(labels: { node: string; cluster: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'bzzz_' });
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

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
