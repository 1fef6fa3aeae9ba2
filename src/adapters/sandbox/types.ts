/**
 * The sandbox port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** `plain` is no isolation: the embedded default's last resort for scripted local tasks only. */
export type SandboxBackendName = 'docker' | 'bwrap' | 'plain';

/** Resource limits of one sandbox; every field has a default ({@link DEFAULT_LIMITS}). */
export interface SandboxLimits {
  /** Memory of everything in the sandbox, bytes; the biggest process is killed past it. */
  memoryBytes: number;
  /** CPU share, in cores (0.5 is half a core). */
  cpus: number;
  /** Processes and threads at once: a fork bomb stops here. */
  pids: number;
  /** Longest run of one command, ms; the command and its children are killed past it. */
  wallTimeMs: number;
  /** Bytes kept of each of stdout and stderr; the rest is counted and dropped. */
  outputBytes: number;
}

/** `none`: loopback only. `git`: only the forge's git remote, as `host:port`. */
export type NetworkPolicy = { mode: 'none' } | { mode: 'git'; remote: string };

export interface SandboxSpec {
  /** docker: the image (default: the locally built one). bwrap: a root directory to use as
   * `/` read-only (default: the host's system directories, read-only). */
  image?: string;
  /** Host directory mounted writable at `/work`; default a fresh directory removed on destroy. */
  workDir?: string;
  env?: Readonly<Record<string, string>>;
  limits?: Partial<SandboxLimits>;
  network?: NetworkPolicy;
  /** Redacted from everything the sandbox returns or logs. */
  secrets?: readonly string[];
  /** Task key, for the `bzzz.task` label. */
  task?: string;
}

export interface ExecRequest {
  /** argv; use `['sh', '-c', line]` for a shell line. */
  command: readonly string[];
  stdin?: string | Uint8Array;
  /** At most the sandbox's `wallTimeMs`. */
  timeoutMs?: number;
  env?: Readonly<Record<string, string>>;
  /** Inside the sandbox; default `/work`. */
  cwd?: string;
  /** Redacted from this command's result, besides the sandbox's own secrets. */
  secrets?: readonly string[];
}

export interface ExecResult {
  /** The exit code; 128+N when killed by signal N (137 on timeout or out of memory). */
  exitCode: number;
  /** Redacted, at most `outputBytes` plus a truncation marker. */
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  /** Killed at the wall-time limit. */
  timedOut: boolean;
  /** A process was killed for passing the memory limit. */
  outOfMemory: boolean;
}

export interface Sandbox {
  readonly id: string;
  readonly backend: SandboxBackendName;
  /** The host path of the work dir. */
  readonly workDir: string;
  readonly destroyed: boolean;
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Copies a host file or tree into the work dir (`to` relative to `/work`). */
  copyIn(hostPath: string, to?: string): Promise<void>;
  /** Copies a file or tree of the work dir out to a host path; symlinks stay symlinks. */
  copyOut(from: string, hostPath: string): Promise<void>;
  /** Back to the state just after create: processes killed, work dir and /tmp emptied. */
  reset(): Promise<void>;
  /** Kills everything and removes the sandbox. Idempotent, safe at any time. */
  destroy(): Promise<void>;
}

export interface SandboxBackend {
  readonly name: SandboxBackendName;
  start(): Promise<void>;
  stop(): Promise<void>;
  create(spec?: SandboxSpec): Promise<Sandbox>;
  /** Removes sandboxes of `nodeId` (default this node) left by an earlier crash; returns how many. */
  removeLeftovers(nodeId?: string): Promise<number>;
}

export interface SandboxInit {
  backend: SandboxBackendName;
  /** Labels and leftovers are per node. */
  nodeId: string;
  /** Work dirs live under `<dataDir>/sandboxes`. */
  dataDir: string;
  /** Default image (docker) or root (bwrap) for `create` without one. */
  image?: string;
}

export interface SandboxComponents {
  logger: Logger;
  clock: Clock;
}
