/**
 * The docker backend (dockerode), hardened as SPEC §9 says by default: a non-root user, every
 * capability dropped, no-new-privileges, a read-only root with a tmpfs /tmp and the work dir
 * as the only writable host mount, memory, CPU and pids limits, wall time per command, no
 * network (or only the git remote), no Docker socket. Containers carry `bzzz.node` and
 * `bzzz.task` labels so a node can remove what an earlier crash left behind.
 */
import { join } from 'node:path';
import Docker from 'dockerode';
import { ulid } from 'ulid';
import { describeError } from '../../lib/errors.js';
import { LABEL_NODE, LABEL_SANDBOX, statusOf } from './docker-labels.js';
import { DockerSandbox } from './docker-sandbox.js';
import { SandboxImageMissingError, SandboxUnavailableError } from './errors.js';
import { defaultImageRef } from './image.js';
import { abandonedSandboxes, writeOwner } from './owner.js';
import { resolveSpec } from './spec.js';
import type { Sandbox, SandboxBackend, SandboxComponents, SandboxInit, SandboxSpec } from './types.js';
import { prepareWorkDir, removeWorkDir } from './workdir.js';

export { LABEL_NODE, LABEL_SANDBOX, LABEL_TASK } from './docker-labels.js';

export class DockerBackend implements SandboxBackend {
  readonly name = 'docker' as const;
  readonly #docker = new Docker();
  readonly #live = new Set<DockerSandbox>();
  readonly #base: string;

  constructor(
    private readonly init: SandboxInit,
    private readonly components: SandboxComponents,
  ) {
    this.#base = join(init.dataDir, 'sandboxes');
  }

  async start(): Promise<void> {
    try {
      await this.#docker.ping();
    } catch (error) {
      throw new SandboxUnavailableError(
        'docker',
        `the Docker engine does not answer (${describeError(error)})`,
        {
          cause: error,
        },
      );
    }
  }

  /** Destroys every sandbox this backend created and still holds. */
  async stop(): Promise<void> {
    await Promise.all([...this.#live].map((s) => s.destroy()));
  }

  async create(spec: SandboxSpec = {}): Promise<Sandbox> {
    const resolved = resolveSpec(spec);
    const image = resolved.image ?? this.init.image ?? defaultImageRef();
    await this.#requireImage(image);
    const id = `bzzz-${ulid().toLowerCase()}`;
    const workDir = await prepareWorkDir(this.#base, id, resolved.workDir);
    const sandbox = new DockerSandbox(id, this.#docker, resolved, workDir, this.#base, this.components, () =>
      this.#live.delete(sandbox),
    );
    this.#live.add(sandbox);
    try {
      await writeOwner(this.#base, id, this.init.nodeId);
      await sandbox.boot(image, this.init.nodeId);
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    return sandbox;
  }

  /**
   * Containers of `nodeId` that still exist (an earlier crash between creating one and
   * attaching its dead man's switch, or an engine that kept it) and the work dirs of sandboxes
   * whose process is gone (their containers went with it); counts each sandbox once.
   */
  async removeLeftovers(nodeId: string = this.init.nodeId): Promise<number> {
    const found = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_NODE}=${nodeId}`] },
    });
    const mine = new Set([...this.#live].map((s) => s.id));
    const removed = new Set<string>();
    for (const info of found) {
      const id = info.Labels[LABEL_SANDBOX] ?? '';
      if (mine.has(id)) continue;
      const ours = /^bzzz-[0-9a-z]+$/.test(id);
      try {
        await this.#docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.add(ours ? id : info.Id);
      } catch (error) {
        // gone meanwhile (404) or already being removed by its own AutoRemove (409)
        if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
      }
      if (ours) {
        await removeWorkDir(this.#base, id, { path: '', owned: true, scratch: '' });
        removed.add(id);
      }
    }
    for (const id of await abandonedSandboxes(this.#base, nodeId, mine)) {
      await removeWorkDir(this.#base, id, { path: '', owned: true, scratch: '' });
      removed.add(id);
    }
    if (removed.size > 0)
      this.components.logger.warn({ nodeId, removed: removed.size }, 'removed leftover sandboxes');
    return removed.size;
  }

  async #requireImage(image: string): Promise<void> {
    try {
      await this.#docker.getImage(image).inspect();
    } catch (error) {
      if (statusOf(error) === 404) throw new SandboxImageMissingError(image, { cause: error });
      throw new SandboxUnavailableError('docker', describeError(error), { cause: error });
    }
  }
}
