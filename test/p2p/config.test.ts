/**
 * Swarm key files and multiaddr lists (listen, bootstrap, relay, announce): what
 * `bzzz p2p keygen` writes and the start checks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateSwarmKey,
  P2PNode,
  parseAnnounceAddresses,
  parseBootstrapAddresses,
  parseListenAddresses,
  parseRelayAddresses,
  parseSwarmKey,
  splitAddressList,
} from '../../src/adapters/p2p/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/log.js';
import { createP2PNode } from '../../src/node/p2p-medium.js';
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

  it('takes a relay by its own address with its peer id, and an announced address without one', () => {
    const relay = `/ip4/203.0.113.7/tcp/9100/p2p/${ID}`;
    expect(parseRelayAddresses([relay])).toEqual([relay]);
    expect(parseAnnounceAddresses(['/ip4/198.51.100.1/tcp/9100'])).toEqual(['/ip4/198.51.100.1/tcp/9100']);
    for (const [bad, problem] of [
      ['/ip4/203.0.113.7/tcp/9100', 'must end in /p2p/<peer id>'],
      [`${relay}/p2p-circuit`, 'without /p2p-circuit'],
      ['relay.example:9100', 'not a multiaddr'],
    ] as const) {
      expect(() => parseRelayAddresses([bad]), bad).toThrow(
        expect.objectContaining({
          name: 'InvalidMultiaddrError',
          address: bad,
          problem: expect.stringContaining(problem) as string,
        }) as Error,
      );
    }
    expect(() => parseAnnounceAddresses([relay])).toThrow(
      expect.objectContaining({ name: 'InvalidMultiaddrError', address: relay }) as Error,
    );
    expect(
      () =>
        new P2PNode(
          { identity: generateIdentity(), relay: ['/ip4/203.0.113.7/tcp/9100'] },
          { logger: silentLogger() },
        ),
    ).toThrow(expect.objectContaining({ name: 'InvalidMultiaddrError' }) as Error);
  });

  it('names the configuration key of a bad relay or announced address, in one line', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bzzz-p2p-config-'));
    const identity = generateIdentity();
    const start = (env: Record<string, string>) => () =>
      createP2PNode(
        loadConfig({ env: { BZZZ_P2P_LISTEN: '/ip4/127.0.0.1/tcp/0', ...env }, cwd }),
        identity,
        silentLogger(),
      );
    expect(start({ BZZZ_P2P_RELAY: '/ip4/203.0.113.7/tcp/9100' })).toThrow(
      'config: p2p_relay (BZZZ_P2P_RELAY): /ip4/203.0.113.7/tcp/9100: a relay address must end in /p2p/<peer id>',
    );
    expect(start({ BZZZ_P2P_ANNOUNCE: 'nope' })).toThrow(
      /^config: p2p_announce \(BZZZ_P2P_ANNOUNCE\): nope: not a multiaddr$/,
    );
    const relay = `/ip4/203.0.113.7/tcp/9100/p2p/${ID}`;
    expect(start({ BZZZ_P2P_RELAY: relay, BZZZ_P2P_ANNOUNCE: '/ip4/198.51.100.1/tcp/9100' })().nodeId).toBe(
      identity.nodeId,
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
