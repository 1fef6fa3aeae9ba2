/**
 * Peers on a simulated clock: the peer machine alone (suspect after 3 missed beats, dead after
 * 5, revived by a beat), and two nodes' membership subtrees and broadcasters talking over the
 * local bus, where the node that stops beating goes suspect, then dead, and its actor is gone.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { broadcasterSpec } from '../../src/actors/broadcaster.js';
import { clockTicker, membershipSpec, peerPath } from '../../src/actors/membership.js';
import { bindRemote } from '../../src/actors/remote.js';
import { ActorSystem } from '../../src/actors/system.js';
import { createLocalBus, LocalHub } from '../../src/adapters/bus/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { peerMachine, type PeerState } from '../../src/machines/peer.js';
import { createPeersView, listPeers, peerCounts, statusNodes } from '../../src/actors/peers-view.js';
import { generateIdentity } from '../../src/protocol/index.js';
import { supervisorSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';

describe('peer machine', () => {
  function start(clock: SimulatedClock) {
    const reports: PeerState[] = [];
    const actor = createActor(
      peerMachine.provide({
        actors: { ticker: clockTicker(clock, 100) },
        actions: { report: (_, { state }) => void reports.push(state) },
      }),
      { input: { node: 'n1', intervalMs: 1000, at: clock.now() } },
    );
    actor.start();
    return { actor, reports };
  }

  it('joins, lives, turns suspect after 3 missed beats and dead after 5', async () => {
    const clock = new SimulatedClock();
    const { actor, reports } = start(clock);
    actor.send({ type: 'peer.beat', at: clock.now() });
    expect(actor.getSnapshot().value).toBe('joining');
    await clock.advance(1000);
    actor.send({ type: 'peer.beat', at: clock.now() });
    expect(actor.getSnapshot().value).toBe('alive');
    await clock.advance(2900);
    expect(actor.getSnapshot().value).toBe('alive');
    await clock.advance(100); // 3 intervals since the last beat
    expect(actor.getSnapshot().value).toBe('suspect');
    await clock.advance(1900);
    expect(actor.getSnapshot().value).toBe('suspect');
    await clock.advance(100); // 5 intervals
    expect(actor.getSnapshot().status).toBe('done');
    expect(reports).toEqual(['joining', 'alive', 'suspect', 'dead']);
    expect(clock.pending).toBe(0); // the ticker stopped with the actor
  });

  it('is alive at once with capabilities, and a beat revives a suspect peer', async () => {
    const clock = new SimulatedClock();
    const { actor, reports } = start(clock);
    actor.send({ type: 'peer.capabilities', at: clock.now() });
    await clock.advance(3000);
    expect(actor.getSnapshot().value).toBe('suspect');
    actor.send({ type: 'peer.beat', at: clock.now() });
    expect(actor.getSnapshot().value).toBe('alive');
    expect(reports).toEqual(['joining', 'alive', 'suspect', 'alive']);
    actor.stop();
  });
});

describe('membership over the local bus', () => {
  it('sees the other node, then marks it suspect and dead when it stops beating', async () => {
    const clock = new SimulatedClock();
    const hub = new LocalHub();
    const logger = silentLogger();
    const nodes = ['alpha', 'beta'].map((name) => {
      const identity = generateIdentity();
      const system = new ActorSystem({ nodeId: identity.nodeId }, { clock, logger });
      const bus = createLocalBus(
        hub,
        { cluster: 'c', nodeId: identity.nodeId, privateKey: identity.privateKey },
        { clock, logger },
      );
      const binding = bindRemote(system, bus, { clock, logger });
      const view = createPeersView(() => clock.now());
      const gauges: Record<PeerState, number>[] = [];
      let capabilities = ['typescript'];
      const root = new Supervisor(
        'root',
        {
          children: [
            supervisorSpec('cluster', {
              children: [
                membershipSpec({
                  self: { id: identity.nodeId, name },
                  view,
                  gauge: (counts) => gauges.push(counts),
                  broadcasterPath: 'root/cluster/broadcaster',
                }),
                broadcasterSpec({
                  capabilities: () => ({
                    node: identity.nodeId,
                    name,
                    capabilities,
                    models: [],
                    sandboxes: ['bwrap'],
                    maxTasks: 3,
                    version: '0.1.0',
                  }),
                  availability: () => ({
                    node: identity.nodeId,
                    status: 'ready',
                    load: 1,
                    maxTasks: 3,
                    tasks: [],
                  }),
                }),
              ],
            }),
          ],
        },
        { system, clock, logger },
      );
      return {
        identity,
        system,
        bus,
        binding,
        view,
        gauges,
        root,
        setCapabilities: (c: string[]) => (capabilities = c),
      };
    });
    const [alpha, beta] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await alpha.root.start();
    await beta.root.start();
    await clock.advance(1000);

    const betaAtAlpha = () => listPeers(alpha.view).find((p) => p.id === beta.identity.nodeId);
    expect(betaAtAlpha()).toMatchObject({
      state: 'alive',
      name: 'beta',
      capabilities: ['typescript'],
      load: 1,
    });
    expect(listPeers(beta.view).find((p) => p.id === alpha.identity.nodeId)?.state).toBe('alive');
    expect(statusNodes(alpha.view).map((n) => n.name)).toEqual(['alpha', 'beta']);
    const betaPeer = peerPath('root/cluster/membership', beta.identity.nodeId);
    expect(alpha.system.has(betaPeer)).toBe(true);

    beta.setCapabilities(['typescript', 'rust']);
    await clock.advance(1000);
    expect(betaAtAlpha()?.capabilities).toEqual(['typescript', 'rust']);

    // beta stops beating (its process is gone: nothing more leaves it)
    await beta.bus.close();
    await clock.advance(2999);
    expect(betaAtAlpha()?.state).toBe('alive');
    await clock.advance(600); // 3 beats missed, seen at the next half-beat tick
    expect(betaAtAlpha()?.state).toBe('suspect');
    expect(peerCounts(alpha.view)).toMatchObject({ suspect: 1, alive: 0 });
    await clock.advance(2000); // 5 beats missed
    expect(betaAtAlpha()?.state).toBe('dead');
    expect(alpha.system.has(betaPeer)).toBe(false);
    expect(alpha.gauges.at(-1)).toEqual({ joining: 0, alive: 0, suspect: 0, dead: 1 });

    // still listed as dead for a while, then pruned
    await clock.advance(5 * 60_000 + 1000);
    expect(betaAtAlpha()).toBeUndefined();

    for (const n of nodes) {
      await n.root.stop();
      n.binding.close();
    }
  });
});
