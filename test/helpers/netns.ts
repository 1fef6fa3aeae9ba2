/**
 * A private LAN of network namespaces for tests across real hosts: a hub namespace holding a
 * Linux bridge, and one namespace per host joined to it by a veth pair, each with `lo` up and
 * an address on 10.77.0.0/24. Every interface is created inside the test's own namespaces
 * (never in the host's), under names with a random suffix, so nothing the machine already has
 * is touched and two runs do not meet. `remove()` deletes the namespaces, which takes the
 * bridge and the veths with them.
 *
 * Multicast: the bridge floods 224.0.0.0/24 (link-local) to every port, and its snooping is
 * off so no querier is needed. Each host gets a default route through the hub's address, as a
 * host on a real LAN has: `multicast-dns` (under `@libp2p/mdns`) sends its queries to
 * 224.0.0.251 with the outgoing interface left to the routing table, so a host whose table has
 * no route for 224.0.0.0/4 fails every send with ENETUNREACH and is never found.
 *
 * Creating namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); without it `createLan`
 * throws {@link NetnsUnavailableError} saying so, and never skips.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The LAN cannot be made on this machine; the message names why and what to do. */
export class NetnsUnavailableError extends Error {
  override readonly name = 'NetnsUnavailableError';
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LanHost {
  /** The host's namespace. */
  netns: string;
  /** Its address on the LAN (`10.77.0.<n>`). */
  address: string;
}

export interface Lan {
  /** The namespace holding the bridge; its address is the hosts' gateway. */
  hub: string;
  gateway: string;
  hosts: LanHost[];
  /** Runs a command inside a namespace. */
  exec(netns: string, command: string[], timeoutMs?: number): Promise<ExecResult>;
  /** GETs `url` from inside a namespace (with curl) and parses the JSON body. */
  getJson<T>(netns: string, url: string): Promise<T>;
  /** Deletes every namespace of the LAN (and so its bridge and veths); safe to call twice. */
  remove(): Promise<void>;
}

const SUBNET = '10.77.0';
const GATEWAY = `${SUBNET}.254`;

/** Runs a command; resolves with its exit code and output, never rejects. */
export function run(command: string, args: string[], timeoutMs = 15_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
    });
  });
}

/** Runs `ip` with `args`; throws with its stderr when it fails. */
export async function ip(args: string[]): Promise<void> {
  const result = await run('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

/** Fails with the reason when this process cannot make namespaces. */
export async function checkCanCreate(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new NetnsUnavailableError(
      `creating network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN), and this test runs as uid ${String(process.getuid?.())}: run it as root, as CI does`,
    );
  }
  const version = await run('ip', ['-V']);
  if (version.code !== 0) {
    throw new NetnsUnavailableError(
      `the \`ip\` command (iproute2) is missing: install it with \`apt-get install -y iproute2\``,
    );
  }
  const curl = await run('curl', ['--version']);
  if (curl.code !== 0) {
    throw new NetnsUnavailableError(`curl is missing: install it with \`apt-get install -y curl\``);
  }
}

/** Makes a LAN of `count` hosts (at most 250) around one bridge. */
export async function createLan(count: number): Promise<Lan> {
  await checkCanCreate();
  const suffix = randomBytes(3).toString('hex');
  const hub = `bzzz-${suffix}-hub`;
  const hosts: LanHost[] = Array.from({ length: count }, (_, i) => ({
    netns: `bzzz-${suffix}-h${i + 1}`,
    address: `${SUBNET}.${i + 1}`,
  }));
  const made: string[] = [];
  const remove = async (): Promise<void> => {
    while (made.length > 0) {
      const netns = made.pop()!;
      await run('ip', ['netns', 'delete', netns]);
    }
  };
  try {
    for (const netns of [hub, ...hosts.map((h) => h.netns)]) {
      const added = await run('ip', ['netns', 'add', netns]);
      if (added.code !== 0) {
        throw new NetnsUnavailableError(`cannot create network namespace ${netns}: ${added.stderr.trim()}`);
      }
      made.push(netns);
      await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    }
    await ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await ip(['-n', hub, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'br0']);
    await ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    for (const [i, host] of hosts.entries()) {
      const port = `p${i + 1}`;
      // both ends are born in their namespaces: no interface ever appears in the host's
      await ip([
        'link',
        'add',
        port,
        'netns',
        hub,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        host.netns,
      ]);
      await ip(['-n', hub, 'link', 'set', port, 'master', 'br0']);
      await ip(['-n', hub, 'link', 'set', port, 'up']);
      await ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      await ip(['-n', host.netns, 'link', 'set', 'eth0', 'multicast', 'on']);
      await ip(['-n', host.netns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', host.netns, 'route', 'add', 'default', 'via', GATEWAY]);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  const exec = (netns: string, command: string[], timeoutMs?: number): Promise<ExecResult> =>
    run('ip', ['netns', 'exec', netns, ...command], timeoutMs);
  return {
    hub,
    gateway: GATEWAY,
    hosts,
    exec,
    getJson: async <T>(netns: string, url: string): Promise<T> => {
      const result = await exec(netns, ['curl', '-sS', '--fail', '--max-time', '5', url], 10_000);
      if (result.code !== 0) throw new Error(`GET ${url} in ${netns}: ${result.stderr.trim()}`);
      return JSON.parse(result.stdout) as T;
    },
    remove,
  };
}
