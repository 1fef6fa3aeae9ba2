/**
 * What a task actor needs from the node: the ports it acts through and the agent it works
 * for. Nothing here is shared mutable state: each port is an interface the actor calls.
 */
import type { AuditRecorder } from '../../adapters/audit/index.js';
import type { ClaimStore } from '../../adapters/claims/index.js';
import type { EscalationNotifier } from '../../adapters/escalation/index.js';
import type { Forge } from '../../adapters/forge/index.js';
import type { GuardLimits, Reasoner } from '../../adapters/llm/index.js';
import type { TaskThreads } from '../../adapters/threads/index.js';
import type { TaskOutcomeSink } from '../../adapters/usage/index.js';
import type { Workspaces } from '../../adapters/workspace/index.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { ActorSystem } from '../system.js';
import type { WhooshTracker } from '../whoosh.js';
import type { TaskRecorder } from './artifacts/recorder.js';

export interface TaskDeps {
  /** The agent working on tasks: its name is the claim holder and is shown on the forge. */
  agent: string;
  /** This node's id, the sender of the task's broadcasts. */
  node: string;
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
  /** Where tasks work: a clone in a sandbox, warm or made when asked. */
  workspaces: Workspaces;
  escalation: EscalationNotifier | undefined;
  /** WHOOSH, told of claims and outcomes of the tasks it listed. */
  whoosh: WhooshTracker | undefined;
  /** The task history (the node's usage store), told each task's outcome; none: not kept. */
  outcomes?: TaskOutcomeSink | undefined;
  /** How long a help request waits for an answer. */
  helpTimeoutMs: number;
  /**
   * The HMMM threads of this node's tasks (help, answers, escalations, plan review), whose
   * head is the task's `thread` name (`threads.head(key)`). Absent: nothing is recorded.
   */
  threads?: TaskThreads;
  /**
   * How long the agent waits for its peers' reviews of its plan (`BZZZ_PLAN_REVIEW_MS`); 0 or
   * absent: its plan is not posted and it goes on alone.
   */
  planReviewMs?: number;
  /** Records the task's escalation and outcome in the node's audit log (never throws). */
  audit?: AuditRecorder;
  clock: Clock;
  logger: Logger;
  /** Keeps what the task did (transcript, diff, result tree) in the content store, named (issue 16). */
  recorder?: TaskRecorder | undefined;
}
