/**
 * Replicators on an in-process network for the replicator's unit tests: real `fs` stores, and
 * in-memory fakes of the three things a replicator talks through (announces, membership, the
 * blob transfer), so a test decides who is alive, who hears what and who sends wrong bytes.
 */
import { CasReplicator } from '../../src/actors/cas/replicator.js';
import { BlobTransferError } from '../../src/adapters/blob-transfer/index.js';
import type { BlobHeld } from '../../src/actors/cas/replicator.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { openStore, type OpenedStore } from './support.js';

export interface NetNode {
  id: string;
  opened: OpenedStore;
  replicator: CasReplicator;
  counts: { replicated: string[]; repaired: string[]; badCopies: number };
  /** Fetches this node made, `holder` each. */
  fetchedFrom: string[];
}

export class ReplicaNet {
  readonly clock = new SimulatedClock();
  readonly nodes = new Map<string, NetNode>();
  readonly states = new Map<string, string>();
  /** Holders whose transfer flips a byte of whatever it sends. */
  readonly corrupt = new Set<string>();
  readonly #announceHandlers = new Map<string, (from: string, blob: BlobHeld) => void>();
  readonly #membershipListeners = new Set<() => void>();

  constructor(readonly replicas: number) {}

  /** A node with a fresh store, alive in every membership, started. */
  async add(id: string): Promise<NetNode> {
    const opened = await openStore();
    const counts = { replicated: [] as string[], repaired: [] as string[], badCopies: 0 };
    const fetchedFrom: string[] = [];
    const replicator = new CasReplicator(
      { nodeId: id, replicas: this.replicas, reannounceMs: 1_000 },
      {
        store: opened.store,
        clock: this.clock,
        logger: silentLogger(),
        metrics: {
          replicated: (outcome) => counts.replicated.push(outcome),
          repaired: (outcome) => counts.repaired.push(outcome),
          badCopy: () => counts.badCopies++,
        },
        announcer: {
          publish: (blob) => {
            for (const [node, handler] of this.#announceHandlers)
              if (node !== id && this.states.get(node) !== 'dead') handler(id, blob);
          },
          subscribe: (handler) => {
            this.#announceHandlers.set(id, handler);
            return () => this.#announceHandlers.delete(id);
          },
        },
        membership: {
          states: () => this.states,
          subscribe: (listener) => {
            this.#membershipListeners.add(listener);
            return () => this.#membershipListeners.delete(listener);
          },
        },
        transfer: {
          provide: () => Promise.resolve(),
          fetch: async (holder, hash) => {
            fetchedFrom.push(holder);
            const node = this.nodes.get(holder);
            if (node === undefined || this.states.get(holder) === 'dead')
              throw new BlobTransferError(holder, hash, 'unreachable', 'gone');
            const bytes = Uint8Array.from(await node.opened.store.get(hash));
            if (this.corrupt.has(holder)) bytes[0]! ^= 0xff;
            return {
              size: bytes.length,
              bytes: (async function* () {
                yield bytes;
              })(),
            };
          },
        },
      },
    );
    const node = { id, opened, replicator, counts, fetchedFrom };
    this.nodes.set(id, node);
    this.states.set(id, 'alive');
    await replicator.start();
    this.#changed();
    return node;
  }

  /** Declares `id` dead everywhere and stops it. */
  async kill(id: string): Promise<void> {
    this.states.set(id, 'dead');
    const node = this.nodes.get(id);
    await node?.replicator.stop();
    this.#changed();
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      await node.replicator.stop();
      await node.opened.close();
    }
  }

  #changed(): void {
    for (const listener of this.#membershipListeners) listener();
  }
}

/** True when `node` holds `hash` pinned. */
export async function holdsPinned(node: NetNode, hash: string): Promise<boolean> {
  return (await node.opened.store.stat(hash))?.pinned === true;
}
