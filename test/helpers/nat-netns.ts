/**
 * Two private networks behind two NATs, and a public network between them, made of network
 * namespaces for the NAT test:
 *
 *   relay 11.77.0.10 ─┐  ┌─ public 11.77.0.20
 *                     ├──┴─ br0 (the "internet", a bridge in its own namespace)
 *   nat1  11.77.0.1  ─┤        nat2  11.77.0.2 ─┘
 *     └ lan 10.78.1.1            └ lan 10.78.2.1
 *         └ host1 10.78.1.2          └ host2 10.78.2.2
 *
 * Each router namespace holds its private bridge (`lan`) and a leg on the public one (`wan`),
 * forwards packets, masquerades what leaves its private side (iptables MASQUERADE: the source
 * becomes the router's public address, the port is kept unless taken), and lets in from the
 * public side only the replies of connections its private side opened (conntrack ESTABLISHED,
 * RELATED; the FORWARD policy is DROP). Nothing on the public side has a route to a private
 * network. `forwardPort` adds a port forward (DNAT) to the private host, as an operator,
 * UPnP-IGD or NAT-PMP would.
 *
 * The public network is 11.77.0.0/24, not a documentation range (192.0.2.0/24 and the like):
 * libp2p counts those as private addresses, and AutoNAT and DCUtR ignore private addresses.
 * It exists only inside the test's namespaces. Every interface and iptables rule lives in
 * the test's own namespaces, so `remove()` (deleting them) takes all of it away.
 */
import { randomBytes } from 'node:crypto';
import { checkCanCreate, ip, NetnsUnavailableError, run, type ExecResult } from './netns.js';

export interface NatHost {
  netns: string;
  address: string;
}

export interface NatSite {
  /** The router's namespace. */
  router: string;
  /** The router's address on the public network: what others see of the host behind it. */
  publicAddress: string;
  host: NatHost;
}

export interface NatNet {
  relay: NatHost;
  /** A host with a public address of its own, no NAT. */
  public: NatHost;
  sites: [NatSite, NatSite];
  exec(netns: string, command: string[], timeoutMs?: number): Promise<ExecResult>;
  /** Forwards `port` (TCP) of the site's public address to the same port of its host. */
  forwardPort(site: NatSite, port: number): Promise<void>;
  /** Deletes every namespace (and with them the bridges, veths and iptables rules). */
  remove(): Promise<void>;
}

const PUBLIC = '11.77.0';

async function must(netns: string, command: string[]): Promise<void> {
  const result = await run('ip', ['netns', 'exec', netns, ...command]);
  if (result.code !== 0) throw new Error(`${command.join(' ')} in ${netns} failed: ${result.stderr.trim()}`);
}

async function checkIptables(): Promise<void> {
  const version = await run('iptables', ['--version']);
  if (version.code !== 0) {
    throw new NetnsUnavailableError('iptables is missing: install it with `apt-get install -y iptables`');
  }
}

/** Makes the two NATs, the relay's host and the public bridge. */
export async function createNatNet(): Promise<NatNet> {
  await checkCanCreate();
  await checkIptables();
  const suffix = randomBytes(3).toString('hex');
  const name = (role: string): string => `bzzz-${suffix}-${role}`;
  const internet = name('net');
  const relay: NatHost = { netns: name('relay'), address: `${PUBLIC}.10` };
  const open: NatHost = { netns: name('pub'), address: `${PUBLIC}.20` };
  const sites = [1, 2].map((i) => ({
    router: name(`nat${i}`),
    publicAddress: `${PUBLIC}.${i}`,
    host: { netns: name(`h${i}`), address: `10.78.${i}.2` },
  })) as [NatSite, NatSite];
  const made: string[] = [];
  const remove = async (): Promise<void> => {
    while (made.length > 0) await run('ip', ['netns', 'delete', made.pop()!]);
  };
  const namespaces = [internet, relay.netns, open.netns, ...sites.flatMap((s) => [s.router, s.host.netns])];
  try {
    for (const netns of namespaces) {
      const added = await run('ip', ['netns', 'add', netns]);
      if (added.code !== 0) {
        throw new NetnsUnavailableError(`cannot create network namespace ${netns}: ${added.stderr.trim()}`);
      }
      made.push(netns);
      await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    }
    await ip(['-n', internet, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', internet, 'link', 'set', 'br0', 'up']);
    // a leg on the public bridge: `port` in the internet namespace, `inner` in `netns`
    const attach = async (port: string, netns: string, inner: string, address: string): Promise<void> => {
      await ip([
        'link',
        'add',
        port,
        'netns',
        internet,
        'type',
        'veth',
        'peer',
        'name',
        inner,
        'netns',
        netns,
      ]);
      await ip(['-n', internet, 'link', 'set', port, 'master', 'br0']);
      await ip(['-n', internet, 'link', 'set', port, 'up']);
      await ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', inner]);
      await ip(['-n', netns, 'link', 'set', inner, 'up']);
    };
    await attach('r', relay.netns, 'eth0', relay.address);
    await attach('p', open.netns, 'eth0', open.address);
    for (const [i, site] of sites.entries()) {
      const lan = `10.78.${i + 1}`;
      await attach(`w${i + 1}`, site.router, 'wan', site.publicAddress);
      await ip(['-n', site.router, 'link', 'add', 'lan', 'type', 'bridge']);
      await ip(['-n', site.router, 'addr', 'add', `${lan}.1/24`, 'dev', 'lan']);
      await ip(['-n', site.router, 'link', 'set', 'lan', 'up']);
      await ip([
        'link',
        'add',
        'lanhost',
        'netns',
        site.router,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        site.host.netns,
      ]);
      await ip(['-n', site.router, 'link', 'set', 'lanhost', 'master', 'lan']);
      await ip(['-n', site.router, 'link', 'set', 'lanhost', 'up']);
      await ip(['-n', site.host.netns, 'addr', 'add', `${site.host.address}/24`, 'dev', 'eth0']);
      await ip(['-n', site.host.netns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', site.host.netns, 'route', 'add', 'default', 'via', `${lan}.1`]);
      await must(site.router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await must(site.router, ['iptables', '-P', 'FORWARD', 'DROP']);
      await must(site.router, ['iptables', '-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT']);
      await must(site.router, [
        'iptables',
        ...['-A', 'FORWARD', '-i', 'wan', '-o', 'lan'],
        ...['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      ]);
      await must(site.router, [
        'iptables',
        ...['-t', 'nat', '-A', 'POSTROUTING', '-s', `${lan}.0/24`, '-o', 'wan', '-j', 'MASQUERADE'],
      ]);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    relay,
    public: open,
    sites,
    exec: (netns, command, timeoutMs) => run('ip', ['netns', 'exec', netns, ...command], timeoutMs),
    forwardPort: async (site, port) => {
      const to = `${site.host.address}:${port}`;
      await must(site.router, [
        'iptables',
        ...['-t', 'nat', '-A', 'PREROUTING', '-i', 'wan', '-p', 'tcp', '--dport', String(port)],
        ...['-j', 'DNAT', '--to-destination', to],
      ]);
      await must(site.router, [
        'iptables',
        ...['-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-p', 'tcp', '-d', site.host.address],
        ...['--dport', String(port), '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'],
      ]);
    },
    remove,
  };
}
