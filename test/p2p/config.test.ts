/** Swarm key files and multiaddr lists: what `bzzz p2p keygen` writes and the start checks. */
import { describe, expect, it } from 'vitest';
import {
  generateSwarmKey,
  P2PNode,
  parseBootstrapAddresses,
  parseListenAddresses,
  parseSwarmKey,
  splitAddressList,
} from '../../src/adapters/p2p/index.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateIdentity } from '../../src/protocol/index.js';

const ID = generateIdentity().nodeId;

describe('swarm keys', () => {
  it('generates a new key in libp2p swarm key format each time', () => {
    const one = generateSwarmKey();
    expect(one).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
    expect(generateSwarmKey()).not.toBe(one);
    expect(new TextDecoder().decode(parseSwarmKey(one))).toBe(one.trimEnd());
  });

  it('reads a key with CRLF line ends, blank lines and upper-case hex', () => {
    const hex = 'AB'.repeat(32);
    const parsed = parseSwarmKey(`/key/swarm/psk/1.0.0/\r\n\r\n/base16/\r\n${hex}\r\n`);
    expect(new TextDecoder().decode(parsed)).toBe(`/key/swarm/psk/1.0.0/\n/base16/\n${hex.toLowerCase()}`);
  });

  it.each([
    ['two lines', '/key/swarm/psk/1.0.0/\n/base16/\n', 'expected 3 lines'],
    ['another header', `/key/swarm/psk/2.0.0/\n/base16/\n${'a'.repeat(64)}`, 'first line'],
    ['another encoding', `/key/swarm/psk/1.0.0/\n/base64/\n${'a'.repeat(64)}`, 'second line'],
    ['a short key', `/key/swarm/psk/1.0.0/\n/base16/\n${'a'.repeat(62)}`, '64 hex digits'],
    ['a non-hex key', `/key/swarm/psk/1.0.0/\n/base16/\n${'g'.repeat(64)}`, '64 hex digits'],
  ])('refuses %s, naming the file', (_, text, problem) => {
    expect(() => parseSwarmKey(text, '/etc/bzzz/swarm.key')).toThrow(
      expect.objectContaining({
        name: 'SwarmKeyError',
        retryable: false,
        message: expect.stringContaining('/etc/bzzz/swarm.key') as string,
        problem: expect.stringContaining(problem) as string,
      }) as Error,
    );
  });
});

describe('multiaddr lists', () => {
  it('splits a comma-separated list and keeps valid addresses', () => {
    expect(splitAddressList(' /ip4/0.0.0.0/tcp/9100, ,/ip6/::/tcp/9100 ')).toEqual([
      '/ip4/0.0.0.0/tcp/9100',
      '/ip6/::/tcp/9100',
    ]);
    expect(parseListenAddresses(['/ip4/0.0.0.0/tcp/9100'])).toEqual(['/ip4/0.0.0.0/tcp/9100']);
    expect(parseBootstrapAddresses([`/ip4/10.0.0.1/tcp/9100/p2p/${ID}`])).toEqual([
      `/ip4/10.0.0.1/tcp/9100/p2p/${ID}`,
    ]);
  });

  it('refuses a bootstrap address without a peer id and anything that is no multiaddr', () => {
    expect(() => parseBootstrapAddresses(['/ip4/10.0.0.1/tcp/9100'])).toThrow(
      expect.objectContaining({ name: 'InvalidMultiaddrError', address: '/ip4/10.0.0.1/tcp/9100' }) as Error,
    );
    expect(() => parseListenAddresses(['tcp://0.0.0.0:9100'])).toThrow(
      expect.objectContaining({ name: 'InvalidMultiaddrError' }) as Error,
    );
  });

  it('fails a node at construction, before anything starts, on a bad key or address', () => {
    const identity = generateIdentity();
    const logger = silentLogger();
    expect(() => new P2PNode({ identity, psk: 'not a key' }, { logger })).toThrow(
      expect.objectContaining({ name: 'SwarmKeyError' }) as Error,
    );
    expect(() => new P2PNode({ identity, bootstrap: ['/dns4/hub/tcp/9100'] }, { logger })).toThrow(
      expect.objectContaining({ name: 'InvalidMultiaddrError' }) as Error,
    );
    expect(new P2PNode({ identity }, { logger }).nodeId).toBe(identity.nodeId);
  });
});
