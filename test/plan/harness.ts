/**
 * Plan review with real parts on the in-process bus: one agent's task machine (its planning,
 * reasoning and escalation effects the node's own, its agent reasoner the scripted one, whose
 * calls are recorded) and advisors on other nodes (the node's advisor actor, each with a model
 * that gives a set verdict), each node with its own content store and task threads, linked as
 * the CAS replicator links them. Claiming, the workspace, commands and publishing are faked:
 * plan review happens between them. Time is a simulated clock: the review window ends when
 * the test advances it, never by waiting.
 */
import { createActor, fromPromise, toPromise } from 'xstate';
import { ActorSystem, type MailboxMessage } from '../../src/actors/index.js';
import { advisorSpec } from '../../src/actors/hmmm.js';
import type { TaskDeps } from '../../src/actors/task/deps.js';
import { escalate } from '../../src/actors/task/effects/escalate.js';
import { reviewPlan } from '../../src/actors/task/effects/plan.js';
import { reason } from '../../src/actors/task/effects/step.js';
import type { TaskResources } from '../../src/actors/task/resources.js';
import {
  createReasoner,
  type HistoryEntry,
  type Reasoner,
  type ReviewResult,
} from '../../src/adapters/llm/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  taskMachine,
  type PreparedWorkspace,
  type TaskFacts,
  type TaskHistoryEntry,
  type TaskPullRequest,
} from '../../src/machines/task.js';
import { TOPICS } from '../../src/protocol/topics.js';
import { NODES, threadCluster, type ThreadCluster } from '../threads/support.js';

export const TASK = 'local:demo/app#12';
export const WINDOW = 3_000;
const BODY = 'Fix the docs.\n\n```bzzz-steps\nnpm test\n```\n';
const LABELS = ['bzzz-task', 'docs'];

/** An advisor on a node of its own: its verdict, and when it may give it. */
export interface Reviewer {
  verdict: ReviewResult['verdict'];
  reason: string;
  /** Its node's capabilities (default: any task). */
  capabilities?: string[];
  /** Its model answers once this settles (default at once). */
  hold?: Promise<void>;
}

function reviewerModel(reviewer: Reviewer): Reasoner {
  const none = () => Promise.reject(new Error('an advisor is only asked to review here'));
  return {
    backend: 'openai',
    model: 'fake-reviewer',
    next: none,
    plan: none,
    reconcile: none,
    review: async () => {
      await reviewer.hold;
      return { verdict: reviewer.verdict, reason: reviewer.reason };
    },
  };
}

/** The scripted reasoner, recording the history of every step it is asked for. */
function recordingScripted(clock: SimulatedClock): Reasoner & { histories: HistoryEntry[][] } {
  const scripted = createReasoner({ backend: 'scripted' }, { clock, logger: silentLogger() });
  const histories: HistoryEntry[][] = [];
  return {
    backend: 'scripted',
    model: 'scripted',
    histories,
    next: (input) => {
      histories.push([...input.history]);
      return scripted.next(input);
    },
    plan: (input) => scripted.plan(input),
    review: (input) => scripted.review(input),
    reconcile: (input) => scripted.reconcile(input),
  };
}

export interface PlanRun {
  clock: SimulatedClock;
  cluster: ThreadCluster;
  system: ActorSystem;
  /** What the agent's reasoner was given at each step. */
  histories: HistoryEntry[][];
  /** Everything said on the task's channel and the coordination channel. */
  heard: MailboxMessage[];
  /** Outcomes reported to the forge. */
  reported: { outcome: string; summary: string }[];
  /** The task actor's end. */
  done: Promise<{ state: string; reason: string | null }>;
  stop(): Promise<void>;
}

/** Starts the advisors, then the agent's task, with a plan review window of {@link WINDOW}. */
export async function startPlanRun(reviewers: Reviewer[], windowMs = WINDOW): Promise<PlanRun> {
  const clock = new SimulatedClock();
  const cluster = await threadCluster(reviewers.length + 1, clock, true);
  const system = new ActorSystem({}, { clock });
  const stops: (() => Promise<void>)[] = [];
  for (const [i, reviewer] of reviewers.entries()) {
    const advisor = await advisorSpec({
      name: `n${i + 2}-advisor`,
      node: NODES[i + 1] as string,
      reasoner: reviewerModel(reviewer),
      capabilities: reviewer.capabilities ?? [],
      threads: cluster.nodes[i + 1]?.threads,
      logger: silentLogger(),
    }).start({ path: `advisor-${i + 2}`, system, clock, logger: silentLogger() });
    stops.push(() => advisor.stop());
  }
  const heard: MailboxMessage[] = [];
  system.register('observer', (m) => void heard.push(m));
  system.subscribe(TOPICS.task(TASK), 'observer');
  system.subscribe(TOPICS.coordination, 'observer');
  const agentReasoner = recordingScripted(clock);
  const reported: PlanRun['reported'] = [];
  const deps = {
    agent: 'n1',
    node: NODES[0],
    agentPath: 'agent-1',
    system,
    forge: {
      reportComplete: (_key: string, report: { outcome: string; summary: string }) => {
        reported.push({ outcome: report.outcome, summary: report.summary });
        return Promise.resolve();
      },
    },
    reasoner: agentReasoner,
    limits: {},
    escalation: undefined,
    whoosh: undefined,
    helpTimeoutMs: 1_000,
    planReviewMs: windowMs,
    threads: cluster.nodes[0]?.threads,
    clock,
    logger: silentLogger(),
  } as unknown as TaskDeps;
  const fence = () => Promise.resolve();
  const resources = {
    fence,
    fenced: () => ({ token: 7, holder: 'n1', fence }),
    reasoner: agentReasoner,
  } as unknown as TaskResources;
  const env = { key: TASK, deps, resources };
  const logic = taskMachine.provide({
    actors: {
      claimLease: fromPromise<number | null, { key: string }>(() => Promise.resolve(7)),
      markClaimed: fromPromise(() => Promise.resolve({ title: 'Fix the docs', body: BODY, labels: LABELS })),
      prepare: fromPromise<PreparedWorkspace>(() =>
        Promise.resolve({ branch: 'bzzz/task-12', base: 'main', files: ['README.md'], network: false }),
      ),
      reviewPlan: reviewPlan(env),
      reason: reason(env),
      execute: fromPromise<TaskHistoryEntry, { command: string; step: number }>(({ input }) =>
        Promise.resolve({ kind: 'command', command: input.command, exitCode: 0, stdout: 'ok', stderr: '' }),
      ),
      publish: fromPromise<{ pr: TaskPullRequest | null }, { summary: string; task: TaskFacts }>(() =>
        Promise.resolve({ pr: null }),
      ),
      report: fromPromise(() => Promise.resolve()),
      escalate: escalate(env),
      reportFailure: fromPromise(() => Promise.resolve()),
      cleanup: fromPromise(() => Promise.resolve()),
    },
  });
  const input = {
    key: TASK,
    title: 'Fix the docs',
    body: BODY,
    labels: LABELS,
    repo: 'demo/app',
    agent: 'n1',
  };
  const actor = createActor(logic, { input }).start();
  return {
    clock,
    cluster,
    system,
    histories: agentReasoner.histories,
    heard,
    reported,
    done: toPromise(actor),
    stop: async () => {
      actor.stop();
      for (const stop of stops) await stop();
      await cluster.close();
    },
  };
}

/** The data of what was heard of `type`. */
export function heardOf<T>(run: PlanRun, type: string): T[] {
  return run.heard.filter((m) => m.type === type).map((m) => m.data as T);
}

/** Waits (real time, generous) until `ready` holds: replies come after real disk I/O. */
export async function until(ready: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
