/**
 * The `bzzz p2p` commands. `peers`: a running node's libp2p peers (`p2p-peers.ts`). `keygen`:
 * a new pre-shared key for a libp2p cluster (the libp2p private-network swarm key format),
 * printed on stdout. Every node of the cluster reads the same file through
 * `BZZZ_P2P_PSK_FILE`; a host without it cannot complete a connection.
 */
import { generateSwarmKey } from '../../adapters/p2p/index.js';
import { UsageError, writeLine, type Command } from '../command.js';
import { PEERS_USAGE, p2pPeers } from './p2p-peers.js';
import { wantsHelp } from './repo.js';

const USAGE = `Usage:
  bzzz p2p peers [--json] [--url URL]   a running node's connected peers, addresses, protocols
  bzzz p2p keygen                       print a new cluster key (libp2p swarm key) on stdout

  bzzz p2p keygen > swarm.key && chmod 600 swarm.key
  BZZZ_BUS=libp2p BZZZ_P2P_PSK_FILE=swarm.key bzzz agent     (the same file on every node)

${PEERS_USAGE}`;

export const p2pCommand: Command = {
  name: 'p2p',
  summary: "the libp2p cluster: a node's peers, the cluster key",
  usage: USAGE,
  run(io) {
    const [sub, ...rest] = io.argv;
    if (sub === 'peers') return p2pPeers(io, rest);
    if (wantsHelp(io.argv)) {
      writeLine(io.stdout, USAGE);
      return Promise.resolve(0);
    }
    if (sub !== 'keygen') {
      throw new UsageError(
        sub === undefined
          ? 'missing command: peers or keygen (see --help)'
          : `unknown p2p command ${JSON.stringify(sub)} (expected peers or keygen)`,
      );
    }
    if (rest.length > 0) throw new UsageError(`p2p keygen takes no arguments (got ${rest.join(' ')})`);
    io.stdout.write(generateSwarmKey());
    return Promise.resolve(0);
  },
};
