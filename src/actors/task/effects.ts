/**
 * The effects of the task machine, bound to the node's ports. Every external side effect
 * (forge marker, push, pull request, completion report, escalation) is fenced by the lease:
 * `resources.fence` runs right before it, so an agent that lost its lease stops without
 * effects. Commands (including the commit) run only inside the sandbox.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import { checkoutTask, taskBranch } from '../../adapters/forge/index.js';
import { createReasonerGuard } from '../../adapters/llm/index.js';
import { describeError, isNonRetryable } from '../../lib/errors.js';
import type { AnnouncedTask } from '../../machines/agent.js';
import { parseTaskKey } from '../../protocol/task-key.js';
import { taskMachine, type StepDecision, type TaskHistoryEntry } from '../../machines/task.js';
import type { TaskDeps } from './deps.js';
import { TOPICS } from '../../protocol/topics.js';
import { leaseRenewalLogic } from '../lease.js';
import { askForHelp } from './help.js';
import { TaskResources } from './resources.js';

const ESCALATING_ERRORS = new Set(['BudgetExceededError', 'RepeatedFailureError']);

/** The task machine with every effect provided for one task and one actor instance. */
export function provideTaskMachine(announced: AnnouncedTask, deps: TaskDeps, resources: TaskResources) {
  const { clock, logger, forge } = deps;
  // the announcement may be stale or come from WHOOSH: the forge's issue is read once claimed
  let task = announced;
  const reasoner = createReasonerGuard(deps.reasoner, deps.limits, { clock });
  /** The outcome on the forge (fenced) and on WHOOSH, when it listed the task. */
  const reportOutcome = async (
    outcome: 'done' | 'escalated' | 'failed',
    summary: string,
    pr: { number: number } | null,
    results: Record<string, unknown>,
  ): Promise<void> => {
    await forge.reportComplete(task.key, {
      agent: deps.agent,
      summary,
      pr: pr?.number ?? null,
      outcome,
      fence: resources.fence,
    });
    await deps.whoosh?.status(task.key, outcome === 'done' ? 'completed' : outcome, results);
  };
  const remember = <T>(work: () => Promise<T>) =>
    work().catch((error: unknown) => {
      resources.lastError = error;
      throw error;
    });

  return taskMachine.provide({
    actors: {
      claimLease: fromPromise(async () => {
        await resources.predecessor;
        const lease = await deps.claims.claim(task.key, deps.agent, deps.leaseTtlMs);
        if (lease === null || !(await resources.adoptLease(lease))) return null;
        logger.info({ task: task.key, token: lease.token, expiresAt: lease.expiresAt }, 'lease won');
        return lease.token;
      }),
      renewLease: leaseRenewalLogic({
        store: deps.claims,
        clock,
        skewMs: deps.leaseSkewMs,
        logger,
        lease: () => {
          if (resources.lease === undefined) throw new Error(`task ${task.key} is active without a lease`);
          return resources.lease;
        },
        onRenewed: (lease) => {
          if (resources.lease !== undefined) resources.lease = lease;
        },
      }),
      markClaimed: fromPromise(() =>
        remember(async () => {
          const token = resources.lease?.token ?? 0;
          const issue = await forge.getTask(task.key);
          task = { ...task, title: issue.title, body: issue.body, labels: issue.labels };
          await forge.markClaimed(task.key, { agent: deps.agent, token, fence: resources.fence });
          await resources.fence();
          await deps.whoosh?.claimed(task.key, deps.agent);
        }),
      ),
      prepare: fromPromise(() =>
        remember(async () => {
          const warm = await deps.workspaces?.take(task.key);
          if (warm !== undefined) {
            await resources.adoptScratch(warm.scratch).catch(async (error: unknown) => {
              await warm.sandbox.destroy();
              throw error;
            });
            await resources.adoptSandbox(warm.sandbox);
            resources.base = warm.base;
            const branch = taskBranch(task.key);
            logger.info(
              { task: task.key, branch, resumed: false, sandbox: warm.sandbox.id, warm: true },
              'prepared',
            );
            return { branch };
          }
          const scratch = await mkdtemp(join(deps.scratchDir, 'clone-'));
          await resources.adoptScratch(scratch);
          await chmod(scratch, 0o755); // the sandbox user reaches its work dir through it
          const clone = join(scratch, 'repo');
          const checkout = await checkoutTask(forge, task.key, clone);
          resources.base = checkout.base;
          // the clone itself becomes the sandbox's work dir: no copy in, no copy out
          const sandbox = await deps.sandboxes.create({
            task: task.key,
            workDir: clone,
            network: { mode: 'none' },
          });
          await resources.adoptSandbox(sandbox);
          logger.info(
            { task: task.key, branch: checkout.branch, resumed: checkout.resumed, sandbox: sandbox.id },
            'prepared',
          );
          return { branch: checkout.branch };
        }),
      ),
      reason: fromPromise<StepDecision, { history: TaskHistoryEntry[]; steps: number }>(async ({ input }) => {
        try {
          const step = await reasoner.next({
            task: { key: task.key, title: task.title, body: task.body },
            history: input.history,
          });
          return step.decision;
        } catch (error) {
          resources.lastError = error;
          const name = error instanceof Error ? error.name : '';
          if (ESCALATING_ERRORS.has(name)) return { kind: 'escalate', reason: describeError(error) };
          if (isNonRetryable(error)) return { kind: 'fail', reason: describeError(error) };
          throw error;
        }
      }),
      execute: fromPromise<TaskHistoryEntry, { command: string }>(({ input }) =>
        remember(async () => {
          const sandbox = resources.sandbox;
          if (sandbox === undefined) throw new Error('no sandbox');
          const result = await sandbox.exec({
            command: ['sh', '-c', input.command],
            env: { BZZZ_TASK: task.key },
          });
          logger.info({ task: task.key, command: input.command, exitCode: result.exitCode }, 'step ran');
          resources.steps++;
          deps.onProgress({
            key: task.key,
            state: 'working',
            agent: deps.agent,
            token: resources.lease?.token ?? null,
            branch: null,
            pr: null,
            reason: null,
            step: { number: resources.steps, command: input.command, exitCode: result.exitCode },
          });
          return {
            kind: 'command',
            command: input.command,
            exitCode: result.exitCode,
            stdout: result.stdout,
            stderr: result.timedOut ? `${result.stderr}\n[killed: wall-time limit]` : result.stderr,
          };
        }),
      ),
      askHelp: fromPromise<{ from: string; text: string } | null, { question: string }>(({ input }) =>
        askForHelp(deps, task, input.question),
      ),
      publish: fromPromise<{ pr: { number: number; url: string } | null }, { summary: string }>(({ input }) =>
        remember(() => publish(task, deps, resources, input.summary)),
      ),
      report: fromPromise<void, { summary: string; pr: { number: number; url: string } | null }>(
        ({ input }) =>
          remember(async () => {
            // the work is published: its sandbox and clone go while the outcome is reported
            const released = resources.releaseWorkspace();
            await reportOutcome('done', input.summary, input.pr, {
              pr: input.pr?.url ?? null,
              summary: input.summary,
            });
            await released;
            deps.system.publish(TOPICS.coordination, {
              type: 'task_complete',
              data: { key: task.key, agent: deps.agent, pr: input.pr, summary: input.summary },
            });
          }),
      ),
      escalate: fromPromise<void, { reason: string; history: TaskHistoryEntry[] }>(async ({ input }) => {
        await resources.fence();
        deps.system.publish(TOPICS.coordination, {
          type: 'escalation_trigger',
          data: { key: task.key, agent: deps.agent, reason: input.reason },
        });
        if (deps.escalation !== undefined) {
          await deps.escalation.escalate({
            taskKey: task.key,
            taskTitle: task.title,
            agent: deps.agent,
            reason: input.reason,
            history: input.history.map(describeEntry),
          });
        }
        await reportOutcome('escalated', `escalated: ${input.reason}`, null, { reason: input.reason });
      }),
      reportFailure: fromPromise<void, { reason: string }>(async ({ input }) => {
        // a failure that another attempt could fix leaves the task open for the next poll
        if (!isNonRetryable(resources.lastError) && resources.lastError !== undefined) return;
        await reportOutcome('failed', `failed: ${input.reason}`, null, { reason: input.reason });
      }),
      cleanup: fromPromise<void, { release: boolean; reason: string }>(({ input }) =>
        resources.cleanup(input.release, input.reason),
      ),
    },
    actions: {
      progress: ({ context }, params) => {
        deps.onProgress({
          key: task.key,
          state: params.state,
          agent: deps.agent,
          token: context.token,
          branch: context.branch,
          pr: context.pr,
          reason: context.reason,
        });
      },
    },
  });
}

function describeEntry(entry: TaskHistoryEntry): string {
  return entry.kind === 'command'
    ? `$ ${entry.command} → exit ${entry.exitCode}`
    : `advice from ${entry.from}: ${entry.text}`;
}

/** Commits inside the sandbox, pushes the task's branch and opens (or finds) its pull request. */
async function publish(
  task: AnnouncedTask,
  deps: TaskDeps,
  resources: TaskResources,
  summary: string,
): Promise<{ pr: { number: number; url: string } | null }> {
  const sandbox = resources.sandbox;
  if (sandbox === undefined) throw new Error('no sandbox');
  const message = `${task.title}\n\n${summary}\n\nTask: ${task.key}\nAgent: ${deps.agent}\n`;
  // asked while the commit runs; a failure surfaces where it is awaited
  const found = deps.forge.findPullRequest({ key: task.key });
  found.catch(() => undefined);
  const commit = await sandbox.exec({
    command: [
      'sh',
      '-c',
      'git add -A && { git diff --cached --quiet || git -c core.hooksPath=/dev/null -c user.name="$BZZZ_AGENT" -c user.email=agent@bzzz.invalid commit -q -F -; } && git rev-list --count "origin/$BZZZ_BASE..HEAD"',
    ],
    stdin: message,
    env: { BZZZ_AGENT: `bzzz agent ${deps.agent}`, BZZZ_BASE: resources.base, BZZZ_TASK: task.key },
  });
  if (commit.exitCode !== 0)
    throw new Error(`commit failed (exit ${commit.exitCode}): ${commit.stderr.slice(-500)}`);
  const ahead = Number(commit.stdout.trim().split('\n').at(-1));
  const existing = await found;
  if (ahead === 0 && existing === null) {
    deps.logger.info({ task: task.key }, 'nothing to publish: no change');
    return { pr: null };
  }
  // the push is the effect that matters most: record the lease it was fenced with
  const fencedPush = async (): Promise<void> => {
    await resources.fence();
    const lease = resources.lease;
    deps.logger.info(
      { task: task.key, token: lease?.token, expiresAt: lease?.expiresAt, at: deps.clock.now() },
      'push fenced',
    );
  };
  const pushed = await deps.forge.pushBranch({
    key: task.key,
    branch: taskBranch(task.key),
    from: sandbox.workDir,
    // the clone's checkout: the task's branch when resumed, else its base with the new commit
    sourceRef: 'HEAD',
    fence: fencedPush,
  });
  const branch = pushed.branch;
  const { pr, created } = await deps.forge.openPullRequest({
    key: task.key,
    branch,
    title: task.title,
    body: `${summary}\n\nCloses #${parseTaskKey(task.key).number}\n\nOpened by bzzz agent ${deps.agent}.`,
    fence: resources.fence,
  });
  deps.logger.info(
    { task: task.key, pr: pr.number, created },
    created ? 'pull request opened' : 'pull request found',
  );
  return { pr: { number: pr.number, url: pr.url } };
}
