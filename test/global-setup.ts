/**
 * Before any test: the real servers and tools the suites use must be on this machine. Run as
 * root (as CI does), missing ones are installed with apt-get and the Docker engine is started;
 * otherwise the run fails at once naming the exact install command. Nothing is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const NEEDED: [binary: string, pkg: string][] = [
  ['git', 'git'],
  ['nats-server', 'nats-server'],
  ['bwrap', 'bubblewrap'],
  ['docker', 'docker.io'],
  ['debootstrap', 'debootstrap'],
  ['socat', 'socat'],
  ['setpriv', 'util-linux'],
  // `promtool check metrics` judges /metrics (test/node/metrics.test.ts)
  ['promtool', 'prometheus'],
  // network namespaces, a bridge and veths for the cluster across hosts (test/p2p/netns.test.ts)
  ['ip', 'iproute2'],
  ['curl', 'curl'],
  // the content store's cache and its reference hashes (test/cas)
  ['redis-server', 'redis-server'],
  ['b3sum', 'b3sum'],
];

function has(binary: string): boolean {
  return (
    spawnSync('sh', ['-c', `command -v ${binary} || test -x /usr/sbin/${binary}`], { stdio: 'ignore' })
      .status === 0
  );
}

/** PostgreSQL's server binaries, which Debian keeps off PATH (test/usage, test/helpers/postgres-server.ts). */
function hasPostgres(): boolean {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(`${root}/${v}/bin/initdb`));
}

function dockerAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

export default function setup(): void {
  const missing = NEEDED.filter(([binary]) => !has(binary)).map(([, pkg]) => pkg);
  if (!hasPostgres()) missing.push('postgresql');
  if (missing.length === 0 && dockerAnswers()) return;
  if (process.getuid?.() !== 0) {
    const install = missing.length > 0 ? `apt-get install -y ${missing.join(' ')}` : '';
    throw new Error(
      `the tests need real servers and tools: ${[install, 'a running Docker engine (dockerd)'].filter(Boolean).join(' and ')}; as root, run: bash .ci/setup-sandbox.sh`,
    );
  }
  if (missing.length > 0) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  execFileSync('bash', ['.ci/setup-sandbox.sh'], { cwd: ROOT, stdio: 'inherit' });
}
