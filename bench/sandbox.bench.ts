/**
 * Sandbox benchmarks (SPEC §11, issue 3):
 * - sandbox.acquire: a task's workspace taken warm (clone in a ready sandbox, made ahead) vs
 *   prepared cold (clone, create+start of the same image), same run.
 * - sandbox.exec.docker / sandbox.exec.bwrap: round trip of `true` in a ready sandbox (p50,
 *   p99) vs a bare dockerode exec / a bare `bwrap --ro-bind / / true`.
 * - sandbox.cold: our create+start+exec `true`+destroy vs `docker run --rm IMAGE true`.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import {
  buildImage,
  createSandboxBackend,
  type SandboxBackend,
  type SandboxBackendName,
} from '../src/adapters/sandbox/index.js';
import { LocalForge } from '../src/adapters/forge/index.js';
import { createWorkspaces } from '../src/adapters/workspace/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import type { TaskKey } from '../src/protocol/index.js';
import {
  hrtimeMs,
  latency,
  median,
  percentile,
  progress,
  round,
  type Benchmark,
  type Figure,
} from './lib.js';

const execFileP = promisify(execFile);
const components = { logger: silentLogger(), clock: systemClock };

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return hrtimeMs(start);
}

function backend(name: SandboxBackendName, dataDir: string): SandboxBackend {
  return createSandboxBackend({ backend: name, nodeId: `bench-${process.pid}`, dataDir }, components);
}

/** A local forge with one repository and `count` tasks in it (the acquire bench's tasks). */
async function forgeWithTasks(dir: string, count: number): Promise<{ forge: LocalForge; keys: TaskKey[] }> {
  const forge = new LocalForge({ dir: join(dir, 'forge') }, components);
  const keys: TaskKey[] = [];
  for (let i = 1; i <= count; i++)
    keys.push(await forge.addTask({ title: `t${i}`, repo: 'bench/acquire', body: '' }));
  return { forge, keys };
}

/** A task's workspace taken warm (made while the previous task ran) vs prepared cold, same run. */
async function acquireBench(dataDir: string): Promise<Figure> {
  const docker = backend('docker', dataDir);
  await docker.start();
  const warm: number[] = [];
  const cold: number[] = [];
  for (let round_ = 0; round_ < 5; round_++) {
    progress(`sandbox.acquire round ${round_ + 1}/5`);
    const dir = await mkdtemp(join(dataDir, 'acquire-'));
    await chmod(dir, 0o755);
    const { forge, keys } = await forgeWithTasks(dir, 3);
    const [first, second, third] = keys as [TaskKey, TaskKey, TaskKey];
    const ready = createWorkspaces(
      { scratchDir: join(dir, 'warm'), warm: 1 },
      { forge, sandboxes: docker, ...components },
    );
    const none = createWorkspaces(
      { scratchDir: join(dir, 'cold'), warm: 0 },
      { forge, sandboxes: docker, ...components },
    );
    await ready.start();
    await none.start();
    // the first task of the repository prepares cold and has the next one made ahead
    const held = [await ready.prepare(first)];
    await ready.settled();
    warm.push(await timed(async () => held.push(await ready.prepare(second))));
    cold.push(await timed(async () => held.push(await none.prepare(third))));
    await Promise.all(held.map((w) => ready.destroy(w)));
    await ready.stop();
    await none.stop();
    await rm(dir, { recursive: true, force: true });
  }
  await docker.stop();
  return latency('sandbox.acquire', 'ms', median(warm), 'cold prepare (clone, create+start)', median(cold));
}

async function execBench(name: SandboxBackendName, dataDir: string, rounds: number): Promise<Figure> {
  const b = backend(name, dataDir);
  await b.start();
  const s = await b.create();
  const ours: number[] = [];
  const raw: number[] = [];
  const docker = new Docker();
  const container = docker.getContainer(s.id);
  for (let i = 0; i < rounds; i++) {
    ours.push(await timed(() => s.exec({ command: ['true'] })));
    raw.push(await timed(() => (name === 'docker' ? rawDockerExec(container) : rawBwrap())));
  }
  await s.destroy();
  await b.stop();
  const figure = latency(
    `sandbox.exec.${name}`,
    'ms',
    median(ours),
    name === 'docker' ? 'dockerode exec' : 'bare bwrap',
    median(raw),
  );
  figure.extra = {
    p50: round(percentile(ours, 50)),
    p99: round(percentile(ours, 99)),
    baseline_p99: round(percentile(raw, 99)),
  };
  return figure;
}

async function rawDockerExec(container: Docker.Container): Promise<void> {
  const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
  });
  await exec.inspect();
}

function rawBwrap(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bwrap',
      ['--unshare-all', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'],
      { stdio: 'ignore' },
    );
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

async function coldBench(dataDir: string, image: string): Promise<Figure> {
  const docker = backend('docker', dataDir);
  await docker.start();
  const ours: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 5; i++) {
    progress(`sandbox.cold round ${i + 1}/5`);
    ours.push(
      await timed(async () => {
        const s = await docker.create();
        await s.exec({ command: ['true'] });
        await s.destroy();
      }),
    );
    raw.push(await timed(() => execFileP('docker', ['run', '--rm', '--network', 'none', image, 'true'])));
  }
  await docker.stop();
  return latency('sandbox.cold', 'ms', median(ours), 'docker run --rm', median(raw));
}

export default {
  name: 'sandbox',
  async run(): Promise<Figure[]> {
    progress('sandbox: making sure the image is built');
    const { image } = await buildImage({ dataDir: join(tmpdir(), 'bzzz-bench-image'), onProgress: progress });
    const dataDir = await mkdtemp(join(tmpdir(), 'bzzz-bench-sandbox-'));
    await chmod(dataDir, 0o755);
    try {
      const figures = [await acquireBench(dataDir)];
      progress('sandbox.exec docker');
      figures.push(await execBench('docker', dataDir, 50));
      progress('sandbox.exec bwrap');
      figures.push(await execBench('bwrap', dataDir, 100));
      figures.push(await coldBench(dataDir, image));
      return figures;
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
