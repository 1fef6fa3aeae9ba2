/**
 * Choosing the sandbox for a node's tasks: the configured backend, else the best available
 * (docker with the image built, then bubblewrap), else — only for scripted steps of tasks from
 * the local forge — a plain work directory, said loudly. At start, the chosen backend removes
 * this node's leftovers of an earlier crash.
 *
 * {@link SandboxService} is the provider the tasks hold from the start; the choice is made
 * when the tree opens it (a child of `infra`), and its backend is stopped with the tree.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { SandboxProvider } from '../adapters/workspace/index.js';
import {
  PlainSandbox,
  createSandboxBackend,
  defaultImageRef,
  imageExists,
  type SandboxBackend,
  type SandboxBackendName,
} from '../adapters/sandbox/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { NonRetryableError, describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Resource } from '../lib/resource.js';

export interface SandboxChoice {
  name: SandboxBackendName;
  provider: SandboxProvider;
  close(): Promise<void>;
}

async function dockerReady(): Promise<boolean> {
  try {
    return await imageExists(defaultImageRef());
  } catch {
    return false;
  }
}

function bwrapWorks(): boolean {
  const probe = spawnSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', 'true'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return probe.status === 0;
}

export async function selectSandboxes(
  config: Config,
  components: { nodeId: string; logger: Logger; clock: Clock },
): Promise<SandboxChoice> {
  const { logger } = components;
  if (config.sandbox !== undefined) return startBackend(config.sandbox, config, components);
  const candidates: SandboxBackendName[] = [];
  if (await dockerReady()) candidates.push('docker');
  if (bwrapWorks()) candidates.push('bwrap');
  for (const name of candidates) {
    try {
      return await startBackend(name, config, components);
    } catch (error) {
      logger.warn({ backend: name, err: describeError(error) }, 'sandbox backend unusable; trying the next');
    }
  }
  if (config.llm !== 'scripted' || config.forge !== 'local') {
    throw new NonRetryableError(
      'no sandbox available: a reasoning model or a remote forge needs docker (run `bzzz sandbox image build`) or bubblewrap (apt-get install bubblewrap)',
    );
  }
  logger.warn(
    'NO SANDBOX: neither Docker (with the bzzz image) nor bubblewrap works here; the scripted steps of local tasks run UNISOLATED in a plain work directory',
  );
  const base = join(config.data_dir, 'plain');
  return {
    name: 'plain',
    provider: { name: 'plain', create: (spec) => PlainSandbox.create(base, spec) },
    close: () => Promise.resolve(),
  };
}

async function startBackend(
  name: SandboxBackendName,
  config: Config,
  components: { nodeId: string; logger: Logger; clock: Clock },
): Promise<SandboxChoice> {
  const { logger } = components;
  const backend: SandboxBackend = createSandboxBackend(
    { backend: name, nodeId: components.nodeId, dataDir: config.data_dir },
    { logger, clock: components.clock },
  );
  await backend.start();
  const removed = await backend.removeLeftovers().catch((error: unknown) => {
    logger.warn({ err: describeError(error) }, 'could not look for leftover sandboxes');
    return 0;
  });
  if (removed > 0) logger.info({ removed, backend: name }, 'removed sandboxes left by an earlier crash');
  logger.info({ backend: name }, 'sandbox backend ready');
  return {
    name,
    provider: { name, create: (spec) => backend.create(spec) },
    close: () => backend.stop(),
  };
}

type SandboxComponents = { nodeId: string; logger: Logger; clock: Clock };

/** The node's sandbox provider as a resource: chosen and started when opened, stopped with the tree. */
export class SandboxService {
  readonly #config: Config;
  readonly #components: SandboxComponents;
  /** The open choice, shared with the provider's methods. */
  readonly #open: { choice: SandboxChoice | undefined } = { choice: undefined };
  /** Creates sandboxes on whichever backend is open now. */
  readonly provider: SandboxProvider;

  constructor(config: Config, components: SandboxComponents) {
    this.#config = config;
    this.#components = components;
    const open = this.#open;
    this.provider = {
      get name(): string {
        return open.choice?.name ?? 'none';
      },
      create: (spec) => {
        if (open.choice === undefined) return Promise.reject(new Error('the sandbox backend is not started'));
        return open.choice.provider.create(spec);
      },
    };
  }

  /** The chosen backend (`none` until opened). */
  get name(): SandboxBackendName | 'none' {
    return this.#open.choice?.name ?? 'none';
  }

  /** Chooses and starts the backend; the resource stops it. */
  async open(): Promise<Resource> {
    const choice = await selectSandboxes(this.#config, this.#components);
    this.#open.choice = choice;
    return {
      stop: async () => {
        if (this.#open.choice === choice) this.#open.choice = undefined;
        await choice.close();
      },
    };
  }
}
