/**
 * Multiaddr lists as configured (`BZZZ_P2P_LISTEN`, `BZZZ_P2P_BOOTSTRAP`, `BZZZ_P2P_RELAY`,
 * `BZZZ_P2P_ANNOUNCE`: comma-separated), checked once at start so a typo is a configuration
 * error naming the address.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { InvalidMultiaddrError } from './errors.js';

/** Where a node listens when nothing is configured (SPEC §5). */
export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/9100';

/** Splits a comma-separated list, dropping blanks. */
export function splitAddressList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Checks listen addresses: each a multiaddr. Returns them normalised. */
export function parseListenAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => parse(address).toString());
}

/**
 * Checks bootstrap addresses: each a multiaddr ending in `/p2p/<peer id>`, since bootstrap
 * needs to know whom it dials (the noise handshake checks it). Returns them normalised.
 */
export function parseBootstrapAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => {
    const parsed = parse(address);
    const last = parsed.getComponents().at(-1);
    if (last?.name !== 'p2p' || last.value === undefined) {
      throw new InvalidMultiaddrError(address, 'a bootstrap address must end in /p2p/<peer id>');
    }
    return parsed.toString();
  });
}

/**
 * Checks relay addresses: each the address of a relay node itself, ending in `/p2p/<peer id>`
 * (the node reserves a slot there and listens on `<address>/p2p-circuit`), never a relayed
 * address. Returns them normalised.
 */
export function parseRelayAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => {
    const parsed = parse(address);
    if (parsed.getComponents().some((c) => c.name === 'p2p-circuit')) {
      throw new InvalidMultiaddrError(
        address,
        "a relay address is the relay's own address (…/p2p/<relay id>), without /p2p-circuit",
      );
    }
    const last = parsed.getComponents().at(-1);
    if (last?.name !== 'p2p' || last.value === undefined) {
      throw new InvalidMultiaddrError(address, 'a relay address must end in /p2p/<peer id>');
    }
    return parsed.toString();
  });
}

/**
 * Checks announced addresses: each a multiaddr others can dial this node on (a public address,
 * a port forwarded to this node), without a peer id or a relay hop. Returns them normalised.
 */
export function parseAnnounceAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => {
    const parsed = parse(address);
    if (parsed.getComponents().some((c) => c.name === 'p2p' || c.name === 'p2p-circuit')) {
      throw new InvalidMultiaddrError(
        address,
        'an announced address is a transport address (/ip4/…/tcp/…), without /p2p or /p2p-circuit',
      );
    }
    return parsed.toString();
  });
}

/** The peer id at the end of a checked relay or bootstrap address. */
export function addressPeerId(address: string): string {
  return parse(address).getComponents().at(-1)?.value ?? '';
}

function parse(address: string): ReturnType<typeof multiaddr> {
  try {
    return multiaddr(address);
  } catch (error) {
    throw new InvalidMultiaddrError(address, 'not a multiaddr', { cause: error });
  }
}
