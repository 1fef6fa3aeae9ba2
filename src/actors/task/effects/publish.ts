/**
 * Publishing: commit inside the sandbox, push the task's branch (fenced, the effect that
 * matters most: a compare-and-swap against the head seen when the lease was won) and open or
 * find its pull request. The forge writes the PR body's reference to the issue (`Closes #N`
 * on GitHub) in its own syntax; the task only summarises.
 */
import { fromPromise } from 'xstate';
import { StalePushError, taskBranch, type PushResult } from '../../../adapters/forge/index.js';
import type { TaskFacts, TaskPullRequest } from '../../../machines/task.js';
import { sandboxOf, type TaskEnv } from './env.js';

/**
 * Pushes the task's branch expecting the head recorded for this lease. When the forge refuses
 * because someone else pushed meanwhile, the head is read again and the push made once more:
 * its fence lets it through only while this lease is still live.
 */
async function pushTaskBranch(env: TaskEnv, from: string): Promise<PushResult> {
  const { key, deps, resources } = env;
  const fencedPush = async (): Promise<void> => {
    await resources.fence();
    const lease = resources.lease;
    deps.logger.info(
      { task: key, token: lease?.token, expiresAt: lease?.expiresAt, at: deps.clock.now() },
      'push fenced',
    );
  };
  // the clone's checkout: the task's branch when resumed, else its base with the new commit
  const push = (): Promise<PushResult> =>
    deps.forge.pushBranch({
      key,
      branch: taskBranch(key),
      from,
      sourceRef: 'HEAD',
      ...resources.fenced(),
      fence: fencedPush,
      ...(resources.expectedHead === undefined ? {} : { expectedHead: resources.expectedHead }),
    });
  let pushed: PushResult;
  try {
    pushed = await push();
  } catch (error) {
    if (!(error instanceof StalePushError)) throw error;
    deps.logger.warn({ task: key, expected: error.expected }, 'push refused: head moved; reading it again');
    resources.expectedHead = (await deps.forge.branchLease(key)).head;
    pushed = await push();
  }
  resources.expectedHead = pushed.commit;
  return pushed;
}

export function publish(env: TaskEnv) {
  const { key, deps, resources } = env;
  return fromPromise<{ pr: TaskPullRequest | null }, { summary: string; task: TaskFacts }>(
    async ({ input }) => {
      const workspace = sandboxOf(env);
      const { task, summary } = input;
      // asked while the commit runs; a failure surfaces where it is awaited
      const found = deps.forge.findPullRequest({ key });
      found.catch(() => undefined);
      const message = `${task.title}\n\n${summary}\n\nTask: ${key}\nAgent: ${deps.agent}\n`;
      const { ahead } = await deps.workspaces.commit(workspace, {
        key,
        message,
        agent: deps.agent,
        base: task.base,
      });
      const existing = await found;
      if (ahead === 0 && existing === null) {
        deps.logger.info({ task: key }, 'nothing to publish: no change');
        return { pr: null };
      }
      const pushed = await pushTaskBranch(env, workspace.sandbox.workDir);
      const { pr, created } = await deps.forge.openPullRequest({
        key,
        branch: pushed.branch,
        title: task.title,
        body: `${summary}\n\nOpened by bzzz agent ${deps.agent}.`,
        ...resources.fenced(),
      });
      deps.logger.info(
        { task: key, pr: pr.number, created },
        created ? 'pull request opened' : 'pull request found',
      );
      return { pr: { number: pr.number, url: pr.url } };
    },
  );
}
