/**
 * A peer of its own on the namespaces' LAN, run by `netns-asker.ts` inside a namespace of the
 * LAN: it holds the cluster key, finds the nodes by mDNS (no bootstrap), and asks each node's
 * agent actor for its load over the libp2p actor streams (`/bzzz/actor/1.0.0`), the way one
 * node's actor asks another's. Prints one JSON line `[{ "node", "load" }]` and exits 0, or
 * one line on stderr and exits 1.
 *
 * Environment: ASKER_PSK_FILE, ASKER_LISTEN (a multiaddr), ASKER_NODES (node ids, comma-separated),
 * ASKER_PATH (the agent actor's path), ASKER_DEADLINE_MS.
 */
import { readFileSync } from 'node:fs';
import { bindRemote } from '../../src/actors/remote.js';
import { ActorSystem } from '../../src/actors/system.js';
import { createLibp2pBus, P2PNode, parseSwarmKey } from '../../src/adapters/p2p/index.js';
import { describeError, silentLogger, systemClock } from '../../src/lib/index.js';
import { generateIdentity } from '../../src/protocol/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const nodes = env('ASKER_NODES').split(',');
  const path = env('ASKER_PATH');
  const deadline = Date.now() + Number(env('ASKER_DEADLINE_MS'));
  const logger = silentLogger();
  const identity = generateIdentity();
  const psk = parseSwarmKey(readFileSync(env('ASKER_PSK_FILE'), 'utf8'));
  const p2p = new P2PNode({ identity, listen: [env('ASKER_LISTEN')], mdns: true, psk }, { logger });
  await p2p.start();
  const { bus } = createLibp2pBus(
    {
      cluster: process.env.BZZZ_CLUSTER ?? 'local',
      nodeId: identity.nodeId,
      privateKey: identity.privateKey,
    },
    { clock: systemClock, logger, node: p2p, rejected: () => undefined },
  );
  const system = new ActorSystem({ nodeId: identity.nodeId, askTimeoutMs: 5_000 }, { clock: systemClock });
  const binding = bindRemote(system, bus, { logger });
  try {
    while (!nodes.every((id) => p2p.connectedTo(id))) {
      if (Date.now() > deadline) {
        const missing = nodes.filter((id) => !p2p.connectedTo(id));
        throw new Error(`mDNS found no connection to ${missing.join(', ')}`);
      }
      await sleep(200);
    }
    const answers: { node: string; load: unknown }[] = [];
    for (const node of nodes) {
      for (;;) {
        try {
          answers.push({ node, load: await system.ask(`bzzz://${node}/${path}`, { type: 'agent.load' }) });
          break;
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`no answer from ${node}: ${describeError(error)}`, { cause: error });
          await sleep(500);
        }
      }
    }
    process.stdout.write(`${JSON.stringify(answers)}\n`);
  } finally {
    binding.close();
    await bus.close();
    await p2p.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  },
);
