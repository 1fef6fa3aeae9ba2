/**
 * One bzzz libp2p peer of the NAT test (`nat.test.ts`), run inside a network namespace: a
 * `P2PNode` with the cluster key, no mDNS, the relays and announced addresses it is given,
 * the libp2p bus, and an actor at `nat/echo` that answers every ask with its node id and the
 * data it was asked. The test drives it with one JSON command per line on stdin and reads one
 * JSON answer per line on stdout (`{ "id", "ok": true, "value" }` or `{ "id", "ok": false,
 * "error" }`); the first line it prints is `{ "ready": <node id> }`. It exits when stdin ends.
 *
 * Commands: `status` (node id, addresses, reachability and relays), `connections` (to `peer`),
 * `dial` (`address`), `hangUp` (`peer`), `ask` (the `nat/echo` actor of `node`, then the
 * connections to that node just after the answer came).
 *
 * Environment: PEER_DATA_DIR (its identity key is read there, or made), PEER_PSK_FILE,
 * PEER_LISTEN, PEER_RELAY and PEER_ANNOUNCE (comma-separated, may be empty).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { bindRemote } from '../../src/actors/remote.js';
import { ActorSystem } from '../../src/actors/system.js';
import { createLibp2pBus, P2PNode, parseSwarmKey, splitAddressList } from '../../src/adapters/p2p/index.js';
import { describeError, silentLogger, systemClock } from '../../src/lib/index.js';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';

export const ECHO_PATH = 'nat/echo';

/** A command of the test. */
export interface PeerCommand {
  id: number;
  op: 'status' | 'connections' | 'dial' | 'hangUp' | 'ask';
  peer?: string;
  address?: string;
  node?: string;
  data?: unknown;
}

function env(name: string): string {
  return process.env[name] ?? '';
}

async function main(): Promise<void> {
  const logger = silentLogger();
  const identity = await loadOrCreateIdentity(env('PEER_DATA_DIR'));
  const p2p = new P2PNode(
    {
      identity,
      listen: splitAddressList(env('PEER_LISTEN')),
      relay: splitAddressList(env('PEER_RELAY')),
      announce: splitAddressList(env('PEER_ANNOUNCE')),
      mdns: false,
      psk: parseSwarmKey(readFileSync(env('PEER_PSK_FILE'), 'utf8')),
    },
    { logger },
  );
  await p2p.start();
  const { bus } = createLibp2pBus(
    { cluster: 'nat', nodeId: identity.nodeId, privateKey: identity.privateKey },
    { clock: systemClock, logger, node: p2p, rejected: () => undefined },
  );
  const system = new ActorSystem({ nodeId: identity.nodeId, askTimeoutMs: 10_000 }, { clock: systemClock });
  const binding = bindRemote(system, bus, { logger });
  system.register(ECHO_PATH, (message) =>
    system.reply(message, { node: identity.nodeId, echo: message.data }),
  );

  const run = async (command: PeerCommand): Promise<unknown> => {
    switch (command.op) {
      case 'status':
        return { node: p2p.nodeId, addresses: p2p.addresses(), ...p2p.natStatus() };
      case 'connections':
        return p2p.connections(command.peer!);
      case 'dial':
        await p2p.dial(command.address!, 20_000);
        return p2p.connections(command.address!.split('/p2p/').at(-1)!);
      case 'hangUp':
        await p2p.hangUp(command.peer!);
        return null;
      case 'ask': {
        const answer = await system.ask(`bzzz://${command.node!}/${ECHO_PATH}`, {
          type: 'nat.echo',
          data: command.data,
        });
        return { answer, connections: p2p.connections(command.node!) };
      }
    }
  };

  const write = (line: unknown): void => {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  write({ ready: identity.nodeId });
  const lines = createInterface({ input: process.stdin });
  const pending = new Set<Promise<void>>();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const command = JSON.parse(line) as PeerCommand;
    const done = run(command).then(
      (value) => write({ id: command.id, ok: true, value }),
      (error: unknown) => write({ id: command.id, ok: false, error: describeError(error) }),
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }
  await Promise.all(pending);
  binding.close();
  await bus.close();
  await p2p.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  },
);
