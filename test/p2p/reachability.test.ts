/** A node's reachability from what libp2p knows of its addresses (`nat.ts`). */
import { multiaddr } from '@multiformats/multiaddr';
import { describe, expect, it } from 'vitest';
import { reachability } from '../../src/adapters/p2p/nat.js';

const NOW = 1_000_000;
const at = (address: string, verified: boolean, expires = 0, type = 'transport') => ({
  multiaddr: multiaddr(address),
  verified,
  expires,
  type,
});
const LAN = at('/ip4/10.0.0.5/tcp/9100', true, NOW + 60_000);
const RELAYED = at('/ip4/11.77.0.10/tcp/9100/p2p-circuit', true, NOW + 60_000);

describe('reachability', () => {
  it('is private with only LAN, loopback and relayed addresses: nothing outside can dial it', () => {
    expect(reachability([LAN, at('/ip4/127.0.0.1/tcp/9100', true), RELAYED], NOW)).toBe('private');
    expect(reachability([], NOW)).toBe('private');
  });

  it('is unknown while a public address waits for AutoNAT, public once confirmed or announced', () => {
    expect(reachability([LAN, at('/ip4/11.77.0.20/tcp/9100', false)], NOW)).toBe('unknown');
    expect(reachability([LAN, at('/ip4/11.77.0.20/tcp/9100', true, NOW + 60_000)], NOW)).toBe('public');
    expect(reachability([at('/ip4/11.77.0.1/tcp/9100', true, NOW + 60_000, 'announce')], NOW)).toBe('public');
  });

  it('is private when AutoNAT found its public addresses undialable, until it checks again', () => {
    const refused = at('/ip4/11.77.0.20/tcp/9100', false, NOW + 60_000);
    expect(reachability([LAN, refused], NOW)).toBe('private');
    expect(reachability([LAN, refused], NOW + 120_000)).toBe('unknown');
  });
});
