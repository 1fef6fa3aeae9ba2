/**
 * `bzzz p2p peers [--json]`: the libp2p peers a running node is connected to, with their
 * addresses and protocols, read from the node's HTTP API (`GET /api/v1/p2p/peers`). The node is
 * found by `--url`, else by `http_host`/`http_port` of the configuration (the YAML file,
 * `BZZZ_HTTP_HOST`, `BZZZ_HTTP_PORT`), as `bzzz agent` would listen with the same settings.
 */
import { z } from 'zod';
import { BzzzError, describeError } from '../../lib/errors.js';
import { UsageError, writeLine, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { nodeUrl } from '../node-url.js';

export const PEERS_USAGE = `Usage: bzzz p2p peers [--json] [--url URL] [--timeout MS]

Lists the libp2p peers a running node (BZZZ_BUS=libp2p) is connected to: one line per peer
with its id, whether the connection is direct or through a relay, its addresses and
protocols; then the node's reachability (AutoNAT: public, private, unknown) and the relays it
holds a reservation on.

  --json         print {"node", "addresses", "reachability", "relays",
                 "peers": [{"id", "connection", "addresses", "protocols"}]}
  --url URL      the node's HTTP base URL (default http://<http_host>:<http_port> of the
                 configuration: --config FILE, ./bzzz.yaml, BZZZ_HTTP_HOST, BZZZ_HTTP_PORT)
  --config FILE  the YAML configuration to read http_host and http_port from
  --timeout MS   how long to wait for the node (default 5000)`;

const peerSchema = z.looseObject({
  id: z.string().max(128),
  addresses: z.array(z.string().max(1000)).max(1000),
  protocols: z.array(z.string().max(500)).max(1000),
  connection: z.enum(['direct', 'relayed']).optional(),
});

/** The document of `GET /api/v1/p2p/peers`, as read from a node. */
export const p2pPeersSchema = z.looseObject({
  node: z.string().max(128),
  addresses: z.array(z.string().max(1000)).max(1000),
  reachability: z.string().max(20).optional(),
  relays: z.array(z.string().max(128)).max(1000).optional(),
  peers: z.array(peerSchema).max(100_000),
});
export type P2PPeers = z.infer<typeof p2pPeersSchema>;

/** The node did not answer, or answered that it has no libp2p peers to show. */
export class P2PPeersUnavailableError extends BzzzError {
  override readonly name = 'P2PPeersUnavailableError';
}

async function fetchPeers(base: string, timeoutMs: number): Promise<P2PPeers> {
  const url = `${base}/api/v1/p2p/peers`;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    body = await response.json();
  } catch (error) {
    throw new P2PPeersUnavailableError(`no bzzz node answered at ${url} (${describeError(error)})`, {
      cause: error,
    });
  }
  if (!response.ok) {
    const said = (body as { error?: unknown } | null)?.error;
    throw new P2PPeersUnavailableError(
      `${url}: HTTP ${response.status}${typeof said === 'string' ? `: ${said}` : ''}`,
    );
  }
  const parsed = p2pPeersSchema.safeParse(body);
  if (!parsed.success) throw new P2PPeersUnavailableError(`${url} did not answer a peers document`);
  return parsed.data;
}

/** Runs `bzzz p2p peers` with the arguments after `peers`. */
export async function p2pPeers(io: CommandIO, argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    json: { type: 'boolean' },
    url: { type: 'string' },
    config: { type: 'string' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    writeLine(io.stdout, PEERS_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
    throw new UsageError('--timeout: milliseconds between 1 and 600000');
  const doc = await fetchPeers(nodeUrl(io, values), timeoutMs);
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify(doc, null, 2));
    return 0;
  }
  for (const peer of doc.peers) {
    const addresses = peer.addresses.length === 0 ? '-' : peer.addresses.join(',');
    const protocols = peer.protocols.length === 0 ? '-' : peer.protocols.join(',');
    writeLine(io.stdout, `${peer.id}  ${peer.connection ?? '-'}  ${addresses}  ${protocols}`);
  }
  if (doc.peers.length === 0) writeLine(io.stderr, `node ${doc.node} has no connected peer`);
  const relays = doc.relays === undefined || doc.relays.length === 0 ? 'none' : doc.relays.join(',');
  writeLine(io.stderr, `reachability: ${doc.reachability ?? 'unknown'}; relays: ${relays}`);
  return 0;
}
