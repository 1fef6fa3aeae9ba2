/**
 * Shared set-up of the sandbox tests: a data dir per test file, backends with a silent logger,
 * and the default image, built when missing (never skipped).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildImage,
  createSandboxBackend,
  type SandboxBackend,
  type SandboxBackendName,
} from '../../src/adapters/sandbox/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

export const run = promisify(execFile);

/** Builds the default image unless it exists (minutes on the first run). */
export async function ensureImage(): Promise<string> {
  const { image } = await buildImage({ dataDir: join(tmpdir(), 'bzzz-test-image') });
  return image;
}

/** A fresh data dir, searchable by the sandbox uid (mkdtemp makes it 0700). */
export async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-sandbox-test-'));
  await chmod(dir, 0o755);
  return dir;
}

export function backendFor(name: SandboxBackendName, nodeId: string, dataDir: string): SandboxBackend {
  return createSandboxBackend(
    { backend: name, nodeId, dataDir },
    { logger: silentLogger(), clock: systemClock },
  );
}

/** Containers carrying a `bzzz.node` label (any node, or one). */
export async function labelledContainers(nodeId?: string): Promise<string[]> {
  const filter = nodeId === undefined ? 'label=bzzz.node' : `label=bzzz.node=${nodeId}`;
  const { stdout } = await run('docker', ['ps', '-a', '-q', '--filter', filter]);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}
