/**
 * The in-process bus: one {@link LocalHub} shared by several nodes of one process (the
 * embedded default, tests), each node with its own {@link EnvelopeBus}. Messages still travel
 * as signed wire bytes and are decoded on receipt, so the local bus enforces exactly what NATS
 * does. Delivery is asynchronous (a microtask later, in publish order), as on a network, and
 * a node does not receive its own publications (NATS `noEcho`).
 */
import type { BusStatus, Bus, BusComponents, BusInit } from './types.js';
import { EnvelopeBus, type Transport, type TransportStatusListener } from './envelope-bus.js';

interface HubSubscription {
  readonly tokens: readonly string[];
  readonly owner: LocalTransport;
  readonly onMessage: (subject: string, bytes: Uint8Array) => void;
}

/** True when a subject matches a pattern with NATS wildcards (`*` one token, `>` the rest). */
export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i];
    if (token === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (token !== '*' && token !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/** The shared medium of local buses: subjects to subscribers, in memory. */
export class LocalHub {
  readonly #subscriptions = new Set<HubSubscription>();
  #published = 0;

  /** Messages published through this hub since it was created. */
  get published(): number {
    return this.#published;
  }

  /** Subscriptions held by every bus on this hub. */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /** Publishes raw bytes, as an outside program could (tests inject garbage this way). */
  inject(subject: string, bytes: Uint8Array): void {
    this.deliver(undefined, subject, bytes);
  }

  /** @internal */
  add(subscription: HubSubscription): () => void {
    this.#subscriptions.add(subscription);
    return () => this.#subscriptions.delete(subscription);
  }

  /** @internal */
  deliver(from: LocalTransport | undefined, subject: string, bytes: Uint8Array): void {
    this.#published++;
    const tokens = subject.split('.');
    const targets = [...this.#subscriptions].filter(
      (s) => s.owner !== from && subjectMatches(s.tokens, tokens),
    );
    if (targets.length === 0) return;
    // A copy per publication: a receiver can never alter what the sender still holds.
    const copy = Uint8Array.from(bytes);
    queueMicrotask(() => {
      for (const target of targets) {
        if (this.#subscriptions.has(target)) target.onMessage(subject, copy);
      }
    });
  }
}

class LocalTransport implements Transport {
  readonly #hub: LocalHub;
  readonly #listeners = new Set<TransportStatusListener>();
  readonly #offs = new Set<() => void>();
  #status: BusStatus = 'connected';

  constructor(hub: LocalHub) {
    this.#hub = hub;
  }

  writable(): boolean {
    return this.#status === 'connected';
  }

  publish(subject: string, bytes: Uint8Array): boolean {
    if (!this.writable()) return false;
    this.#hub.deliver(this, subject, bytes);
    return true;
  }

  subscribe(subject: string, onMessage: (subject: string, bytes: Uint8Array) => void): () => void {
    const off = this.#hub.add({ tokens: subject.split('.'), owner: this, onMessage });
    this.#offs.add(off);
    return () => {
      this.#offs.delete(off);
      off();
    };
  }

  status(): BusStatus {
    return this.#status;
  }

  onStatus(listener: TransportStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.#status === 'closed') return Promise.resolve();
    for (const off of this.#offs) off();
    this.#offs.clear();
    this.#status = 'closed';
    for (const listener of this.#listeners) listener('closed');
    return Promise.resolve();
  }
}

/** A bus for one node on a shared in-process hub. */
export function createLocalBus(
  hub: LocalHub,
  init: BusInit,
  components: BusComponents,
): Bus & {
  readonly subscriptionCount: number;
} {
  return new EnvelopeBus(new LocalTransport(hub), init, components);
}
