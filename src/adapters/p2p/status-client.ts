/**
 * The client side of the status protocol, for `bzzz status` on a broker-less cluster: a
 * short-lived libp2p node (TCP, noise, yamux, the cluster's key when it has one; no listener,
 * no discovery, a throwaway identity) dials the given addresses one after another until one
 * node answers, asks it to gather its peers' documents too, and stops.
 *
 * The client is not a member of the cluster and needs not be: it only reads what any holder of
 * the cluster key can read, as the NATS micro service answers any client the server lets in.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { noise } from '@libp2p/noise';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { describeError } from '../../lib/errors.js';
import { InvalidMultiaddrError } from './errors.js';
import { askStatus } from './status-service.js';
import { parseSwarmKey } from './swarm-key.js';

/** Where and how to ask. */
export interface P2PStatusRequest {
  /** Multiaddrs of nodes (`/ip4/…/tcp/…`, with or without `/p2p/<peer id>`), tried in order. */
  addresses: readonly string[];
  /** The cluster's swarm key file content, when the cluster has one. */
  psk?: string;
  timeoutMs: number;
}

/** No node answered at any address; says what each one did. */
export class P2PStatusUnavailableError extends Error {
  override readonly name = 'P2PStatusUnavailableError';
}

/**
 * The status documents of the first node that answers and of its peers (unchecked JSON values:
 * the caller validates them).
 */
export async function requestStatusOverP2P(request: P2PStatusRequest): Promise<unknown[]> {
  const targets = request.addresses.map((address) => {
    try {
      return multiaddr(address);
    } catch (error) {
      throw new InvalidMultiaddrError(address, 'not a multiaddr', { cause: error });
    }
  });
  if (targets.length === 0) throw new P2PStatusUnavailableError('no address of a bzzz node to ask');
  const psk = request.psk === undefined ? undefined : parseSwarmKey(request.psk);
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(psk === undefined ? {} : { connectionProtector: preSharedKey({ psk }) }),
  });
  const failures: string[] = [];
  try {
    for (const target of targets) {
      try {
        return await askStatus(node, target, true, request.timeoutMs);
      } catch (error) {
        failures.push(`${target.toString()}: ${describeError(error)}`);
      }
    }
  } finally {
    await Promise.resolve(node.stop()).catch(() => undefined);
  }
  throw new P2PStatusUnavailableError(`no bzzz node answered over libp2p (${failures.join('; ')})`);
}
