/**
 * The read model of the cluster's members: what `bzzz status`, `/api/v1/peers` and the micro
 * service show about nodes. An `@xstate/store` fed only by the membership actor (messages it
 * received and the states its peer actors report). A dead peer stays listed as `dead` for a
 * while (`pruned` drops it later), so an operator sees that it died rather than that it
 * vanished. This node itself is an entry too, always `alive`.
 */
import { createStore } from '@xstate/store';
import type { AvailabilityBroadcast, CapabilityBroadcast } from '../protocol/index.js';
import { PEER_STATES, type PeerState } from '../machines/peer.js';

/** One node as the read model shows it. */
export interface PeerView {
  id: string;
  name: string;
  state: PeerState;
  self: boolean;
  capabilities: string[];
  models: string[];
  sandboxes: string[];
  version: string | null;
  maxTasks: number;
  load: number;
  status: AvailabilityBroadcast['status'] | null;
  tasks: string[];
  /** When it was last heard from (ms since the epoch). */
  lastSeenAt: number;
  /** When it entered its current state. */
  since: number;
}

function blank(id: string, at: number, self = false): PeerView {
  return {
    id,
    name: id.slice(-8),
    state: self ? 'alive' : 'joining',
    self,
    capabilities: [],
    models: [],
    sandboxes: [],
    version: null,
    maxTasks: 0,
    load: 0,
    status: null,
    tasks: [],
    lastSeenAt: at,
    since: at,
  };
}

type Peers = Record<string, PeerView>;

function update(
  peers: Peers,
  id: string,
  at: number,
  change: (peer: PeerView) => Partial<PeerView>,
): { peers: Peers } {
  const peer = peers[id] ?? blank(id, at);
  return { peers: { ...peers, [id]: { ...peer, ...change(peer) } } };
}

function emptyPeers(): Peers {
  return {};
}

/** Creates the store; `now` stamps entries (the injected clock). */
export function createPeersView(now: () => number) {
  return createStore({
    context: { peers: emptyPeers() },
    on: {
      self: (context, event: { id: string; name: string }) => ({
        peers: { ...context.peers, [event.id]: { ...blank(event.id, now(), true), name: event.name } },
      }),
      capabilities: (context, event: { data: CapabilityBroadcast }) => {
        const { data } = event;
        const at = now();
        return update(context.peers, data.node, at, () => ({
          name: data.name,
          capabilities: [...data.capabilities],
          models: [...data.models],
          sandboxes: [...data.sandboxes],
          version: data.version,
          maxTasks: data.maxTasks,
          lastSeenAt: at,
        }));
      },
      availability: (context, event: { data: AvailabilityBroadcast }) => {
        const { data } = event;
        const at = now();
        return update(context.peers, data.node, at, () => ({
          load: data.load,
          maxTasks: data.maxTasks,
          status: data.status,
          tasks: [...data.tasks],
          lastSeenAt: at,
        }));
      },
      state: (context, event: { node: string; state: PeerState }) => {
        const at = now();
        return update(context.peers, event.node, at, (peer) =>
          peer.self || peer.state === event.state ? {} : { state: event.state, since: at },
        );
      },
      pruned: (context, event: { before: number }) => {
        const kept: Peers = {};
        let changed = false;
        for (const [id, peer] of Object.entries(context.peers)) {
          if (peer.state === 'dead' && peer.since < event.before) changed = true;
          else kept[id] = peer;
        }
        return changed ? { peers: kept } : context;
      },
    },
  });
}

/** The store type. */
export type PeersView = ReturnType<typeof createPeersView>;

/** Every node, this one first, then by name. */
export function listPeers(view: PeersView): PeerView[] {
  return Object.values(view.getSnapshot().context.peers).sort(
    (a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

/** Nodes by state, every state present (the `bzzz_peers{state}` gauge); this node excluded. */
export function peerCounts(view: PeersView): Record<PeerState, number> {
  const counts = Object.fromEntries(PEER_STATES.map((s) => [s, 0])) as Record<PeerState, number>;
  for (const peer of Object.values(view.getSnapshot().context.peers)) if (!peer.self) counts[peer.state]++;
  return counts;
}

/** The `nodes` of the status document (SPEC §4): id, name, state, capabilities, load. */
export function statusNodes(view: PeersView): {
  id: string;
  name: string;
  state: PeerState;
  capabilities: string[];
  tasks: number;
  maxTasks: number;
  status: string | null;
}[] {
  return listPeers(view).map((p) => ({
    id: p.id,
    name: p.name,
    state: p.state,
    capabilities: p.capabilities,
    tasks: p.load,
    maxTasks: p.maxTasks,
    status: p.status,
  }));
}
