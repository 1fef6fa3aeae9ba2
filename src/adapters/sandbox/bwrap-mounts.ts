/**
 * The read-only view of the system a bwrap sandbox gets: a given root directory, or the
 * host's system directories (merged-/usr symlinks kept as symlinks) plus a short list of /etc
 * entries that programs need. The host's own /etc/passwd, /etc/shadow, home directories and
 * data dirs are never visible; passwd, group and hosts are the sandbox's own.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const ETC_ENTRIES = [
  'alternatives',
  'ca-certificates',
  'ca-certificates.conf',
  'ssl',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'nsswitch.conf',
  'localtime',
  'timezone',
  'os-release',
  'debian_version',
  'gitconfig',
  'mime.types',
  'protocols',
  'services',
];

let hostMounts: Promise<string[]> | undefined;

async function hostSystemArgs(): Promise<string[]> {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    const info = await lstat(dir).catch(() => undefined);
    if (info === undefined) continue;
    if (info.isSymbolicLink()) args.push('--symlink', await readlink(dir), dir);
    else if (info.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const entry of ETC_ENTRIES) {
    const path = join('/etc', entry);
    if ((await lstat(path).catch(() => undefined)) !== undefined) args.push('--ro-bind', path, path);
  }
  return args;
}

/** bwrap arguments for `/`, /proc, /dev and /etc of a sandbox whose own /etc files are in `etcDir`. */
export async function bwrapMountArgs(root: string | undefined, etcDir: string): Promise<string[]> {
  const base = root !== undefined ? ['--ro-bind', root, '/'] : await (hostMounts ??= hostSystemArgs());
  const own = ['passwd', 'group', 'hosts'].flatMap((f) => ['--ro-bind', join(etcDir, f), `/etc/${f}`]);
  return [...base, '--proc', '/proc', '--dev', '/dev', ...own];
}
