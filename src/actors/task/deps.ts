/**
 * What a task actor needs from the node: the ports it acts through and the agent it works
 * for. Nothing here is shared mutable state: each port is an interface the actor calls.
 */
import type { WarmWorkspaces } from './workspaces.js';
import type { ClaimStore } from '../../adapters/claims/index.js';
import type { EscalationNotifier } from '../../adapters/escalation/index.js';
import type { Forge } from '../../adapters/forge/index.js';
import type { GuardLimits, Reasoner } from '../../adapters/llm/index.js';
import type { Sandbox, SandboxSpec } from '../../adapters/sandbox/index.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { TaskState } from '../../machines/task.js';
import type { ActorSystem } from '../system.js';
import type { WhooshTracker } from '../whoosh.js';

/** Creates the sandbox a task works in. */
export interface SandboxProvider {
  /** `docker`, `bwrap`, or `plain` (no isolation: scripted local tasks only). */
  readonly name: string;
  create(spec: SandboxSpec): Promise<Sandbox>;
}

export interface TaskProgress {
  key: string;
  state: TaskState;
  agent: string;
  token: number | null;
  branch: string | null;
  pr: { number: number; url: string } | null;
  reason: string | null;
  /** On a step: its number and command. */
  step?: { number: number; command: string; exitCode: number };
}

export interface TaskDeps {
  /** The agent working on tasks: its name is the claim holder and is shown on the forge. */
  agent: string;
  /** The agent actor's address, told when a task ends. */
  agentPath: string;
  system: ActorSystem;
  claims: ClaimStore;
  leaseTtlMs: number;
  /** Effects stop this long before the lease's expiry as this node sees it (clock skew). */
  leaseSkewMs: number;
  forge: Forge;
  reasoner: Reasoner;
  limits: GuardLimits;
  sandboxes: SandboxProvider;
  /** Host directory for the tasks' clones. */
  scratchDir: string;
  /** Clones in sandboxes made ready ahead of tasks; without it every task prepares its own. */
  workspaces?: WarmWorkspaces | undefined;
  escalation: EscalationNotifier | undefined;
  /** WHOOSH, told of claims and outcomes of the tasks it listed. */
  whoosh: WhooshTracker | undefined;
  /** How long a help request waits for an answer. */
  helpTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  /** Every state a task reaches (`task_progress`, the read model). */
  onProgress(progress: TaskProgress): void;
}
