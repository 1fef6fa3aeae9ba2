/**
 * The container of one docker sandbox, hardened as SPEC §9 says: a non-root user, every
 * capability dropped, no-new-privileges, a read-only root with a tmpfs /tmp and the work dir as
 * the only writable host mount, memory, CPU and pids limits, no network, no Docker socket; and
 * it lives no longer than the process that made it.
 */
import type Docker from 'dockerode';
import { KEEPER_COMMAND, KEEPER_OPTIONS } from './docker-keeper.js';
import { LABEL_NODE, LABEL_SANDBOX, LABEL_TASK } from './docker-labels.js';
import { SANDBOX_WORK_DIR } from './spec.js';
import type { SandboxLimits } from './types.js';

export interface ContainerInit {
  readonly id: string;
  readonly image: string;
  readonly user: string;
  readonly nodeId: string;
  readonly task: string;
  readonly env: Record<string, string>;
  readonly binds: readonly string[];
  readonly limits: SandboxLimits;
}

/**
 * The options `docker.createContainer` takes for a sandbox whose keeper waits while commands
 * exec, until the node that holds it goes (docker-keeper.ts); the container then removes itself.
 */
export function containerOptions(init: ContainerInit): Docker.ContainerCreateOptions {
  const { limits } = init;
  return {
    name: init.id,
    Image: init.image,
    Cmd: [...KEEPER_COMMAND],
    ...KEEPER_OPTIONS,
    User: init.user,
    WorkingDir: SANDBOX_WORK_DIR,
    Hostname: 'sandbox',
    Env: Object.entries(init.env).map(([k, v]) => `${k}=${v}`),
    Labels: { [LABEL_NODE]: init.nodeId, [LABEL_TASK]: init.task, [LABEL_SANDBOX]: init.id },
    HostConfig: {
      Binds: [...init.binds],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${Math.floor(limits.memoryBytes / 2)},mode=1777` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      NetworkMode: 'none',
      Init: true,
      IpcMode: 'private',
      Privileged: false,
      RestartPolicy: { Name: 'no' },
      AutoRemove: true,
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
