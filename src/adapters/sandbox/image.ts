/**
 * The default sandbox image, built locally with no registry: `debootstrap --variant=minbase`
 * of Debian bookworm with a fixed package set, then `docker import` of that root. The image
 * is tagged with a hash of its recipe, so an identical build is skipped when the tag exists,
 * and a lock keeps two processes from building it at once.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import lockfile from 'proper-lockfile';
import { describeError } from '../../lib/errors.js';
import { ImageBuildError, SandboxUnavailableError } from './errors.js';
import { SANDBOX_UID } from './spec.js';

export const IMAGE_REPO = 'bzzz-sandbox';

/** Everything that decides the image's content; its hash is the image tag. */
const RECIPE = Object.freeze({
  version: 1,
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  packages: [
    'bzip2',
    'ca-certificates',
    'diffutils',
    'file',
    'gcc',
    'git',
    'less',
    'libc6-dev',
    'make',
    'patch',
    'procps',
    'socat',
    'unzip',
    'xz-utils',
  ],
  uid: SANDBOX_UID,
});

/** The recipe's content hash (12 hex digits). */
export function recipeHash(): string {
  return createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 12);
}

/** The tag of the image this version of bzzz builds and uses by default. */
export function defaultImageRef(): string {
  return `${IMAGE_REPO}:${recipeHash()}`;
}

export interface ImageBuildInit {
  /** Where the lock and the temporary root live; default the system temp dir. */
  dataDir?: string;
  /** Build again even when the tag exists. */
  force?: boolean;
  /** One line per step, for a progress display on stderr. */
  onProgress?: (line: string) => void;
  /** A dockerode connection; default the local socket. */
  docker?: Docker;
}

/** True when the image exists in the local engine. */
export async function imageExists(ref: string, docker: Docker = new Docker()): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw new SandboxUnavailableError('docker', describeError(error), { cause: error });
  }
}

/** Builds the default image unless an identical one exists; returns its tag. */
export async function buildImage(init: ImageBuildInit = {}): Promise<{ image: string; built: boolean }> {
  const docker = init.docker ?? new Docker();
  const say = init.onProgress ?? (() => undefined);
  const image = defaultImageRef();
  if (init.force !== true && (await imageExists(image, docker))) {
    say(`image ${image} is already built`);
    return { image, built: false };
  }
  const base = init.dataDir ?? tmpdir();
  await mkdir(base, { recursive: true });
  const lockTarget = join(base, 'sandbox-image.lock');
  await writeFile(lockTarget, '', { flag: 'a' });
  say('waiting for the image build lock');
  const release = await lockfile.lock(lockTarget, {
    stale: 30_000,
    retries: { retries: 1200, minTimeout: 1000, maxTimeout: 1000 },
  });
  let root: string | undefined;
  try {
    if (init.force !== true && (await imageExists(image, docker))) {
      say(`image ${image} was built by another process`);
      return { image, built: false };
    }
    root = await mkdtemp(join(base, 'sandbox-rootfs-'));
    say(`debootstrap ${RECIPE.suite} (${RECIPE.variant}) into ${root}`);
    await run(
      'debootstrap',
      [
        `--variant=${RECIPE.variant}`,
        `--include=${RECIPE.packages.join(',')}`,
        RECIPE.suite,
        root,
        RECIPE.mirror,
      ],
      say,
    );
    await finishRoot(root);
    say(`importing ${image}`);
    await importRoot(docker, root, image);
    await docker.getImage(image).tag({ repo: IMAGE_REPO, tag: 'latest' });
    say(`built ${image}`);
    return { image, built: true };
  } finally {
    if (root !== undefined) await rm(root, { recursive: true, force: true }).catch(() => undefined);
    await release().catch(() => undefined);
  }
}

/** Adds the sandbox user and the work dir; drops caches that would only bloat the image. */
async function finishRoot(root: string): Promise<void> {
  await appendFile(
    join(root, 'etc/passwd'),
    `bzzz:x:${SANDBOX_UID}:${SANDBOX_UID}:bzzz sandbox:/tmp:/bin/sh\n`,
  );
  await appendFile(join(root, 'etc/group'), `bzzz:x:${SANDBOX_UID}:\n`);
  await mkdir(join(root, 'work'), { recursive: true });
  await chmod(join(root, 'work'), 0o755);
  await chown(join(root, 'work'), SANDBOX_UID, SANDBOX_UID);
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'var/log']) {
    await rm(join(root, dir), { recursive: true, force: true });
    await mkdir(join(root, dir), { recursive: true });
  }
}

async function importRoot(docker: Docker, root: string, image: string): Promise<void> {
  const [repo, tag] = image.split(':') as [string, string];
  const tar = spawn('tar', ['--numeric-owner', '--sort=name', '-C', root, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tarError = '';
  tar.stderr.on('data', (d: Buffer) => (tarError += d.toString()));
  const tarDone = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
  try {
    const stream = await docker.importImage(tar.stdout, {
      repo,
      tag,
      changes: [
        `LABEL bzzz.image.recipe=${recipeHash()}`,
        `USER ${SANDBOX_UID}:${SANDBOX_UID}`,
        'WORKDIR /work',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'CMD ["/bin/sh"]',
      ],
    } as unknown as Record<string, unknown>);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    tar.kill('SIGKILL');
    throw new ImageBuildError('import', describeError(error), { cause: error });
  }
  const code = await tarDone;
  if (code !== 0) throw new ImageBuildError('tar', tarError.trim() || `exit ${code}`);
}

function run(cmd: string, args: string[], say: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    for (const s of [child.stdout, child.stderr]) {
      createInterface({ input: s }).on('line', (line) => {
        say(line);
        tail.push(line);
        if (tail.length > 5) tail.shift();
      });
    }
    child.on('error', (error) =>
      reject(
        new ImageBuildError(cmd, `cannot run ${cmd}: ${error.message}`, { cause: error, retryable: false }),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new ImageBuildError(cmd, `exit ${code}: ${tail.join(' | ')}`)),
    );
  });
}
