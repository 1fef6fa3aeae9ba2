/**
 * The command line of one bwrap exec: join the sandbox's cgroup (or apply prlimit where no
 * cgroup tree is writable), drop to the sandbox uid when bzzz is root, then bwrap with every
 * namespace unshared over the sandbox's mounts, the work dir at /work and a private /tmp.
 */
import type { GitRelay } from './git-relay.js';
import { INNER_SOCKET_DIR } from './git-relay.js';
import type { SandboxCgroup } from './cgroup.js';
import type { ResolvedExec } from './spec.js';
import { SANDBOX_UID } from './spec.js';
import type { SandboxLimits } from './types.js';
import { sandboxOwner, type WorkDir } from './workdir.js';

export const isRoot = (): boolean => process.getuid?.() === 0;

export interface BwrapArgvInit {
  readonly request: ResolvedExec;
  readonly limits: SandboxLimits;
  /** `bwrapMountArgs(...)`: the system directories and /etc. */
  readonly mounts: readonly string[];
  readonly dir: WorkDir;
  readonly relay: GitRelay | undefined;
  readonly cgroup: SandboxCgroup | undefined;
}

/** The argv to spawn for one exec. */
export function bwrapArgv({ request, limits, mounts, dir, relay, cgroup }: BwrapArgvInit): string[] {
  const bwrap = [
    'bwrap',
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--hostname',
    'sandbox',
    ...mounts,
    '--bind',
    dir.scratch,
    '/tmp',
    '--bind',
    dir.path,
    '/work',
    ...(relay !== undefined ? ['--ro-bind', relay.socketDir, INNER_SOCKET_DIR] : []),
    '--chdir',
    request.cwd,
    '--',
    ...(relay !== undefined ? relay.innerWrapper() : []),
    ...request.command,
  ];
  const owner = sandboxOwner();
  const drop = isRoot()
    ? ['setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--']
    : [];
  const rlimits =
    cgroup === undefined ? ['prlimit', `--as=${limits.memoryBytes}`, `--nproc=${limits.pids}`, '--'] : [];
  const joinCgroup =
    cgroup === undefined
      ? []
      : [
          'sh',
          '-c',
          'for p in $0; do echo $$ > "$p" || exit 125; done; exec "$@"',
          cgroup.procsFiles.join(' '),
        ];
  return [...joinCgroup, ...rlimits, ...drop, ...bwrap];
}
