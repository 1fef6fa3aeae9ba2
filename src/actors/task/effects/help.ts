/**
 * Asking other agents for help (HMMM): a `task_help_request` (the protocol's, with an id of its
 * own) goes to the meta-discussion channel and the task's own channel; the first
 * `task_help_response` naming that id, from another agent, within the time limit is the
 * advice. No answer in time resolves null (the task escalates).
 */
import type { TaskFacts } from '../../../machines/task.js';
import { newUlid } from '../../../protocol/ids.js';
import { taskHelpResponseSchema, type TaskHelpRequest } from '../../../protocol/index.js';
import { encodeTaskKeyToken } from '../../../protocol/task-key.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { MailboxMessage } from '../../message.js';
import type { TaskDeps } from '../deps.js';

let nextInbox = 1;

/** The advice in `message` when it answers request `id` and comes from another agent. */
function answerTo(
  message: MailboxMessage,
  id: string,
  self: string,
): { from: string; text: string } | undefined {
  if (message.type !== 'task_help_response') return undefined;
  const parsed = taskHelpResponseSchema.safeParse(message.data);
  if (!parsed.success || parsed.data.request !== id || parsed.data.agent === self) return undefined;
  if (parsed.data.answer.trim() === '') return undefined;
  return { from: parsed.data.agent ?? parsed.data.node, text: parsed.data.answer };
}

export function askForHelp(
  deps: TaskDeps,
  task: TaskFacts,
  question: string,
): Promise<{ from: string; text: string } | null> {
  const { system, clock } = deps;
  const inbox = `help/${encodeTaskKeyToken(task.key)}-${nextInbox++}`;
  const topic = TOPICS.task(task.key);
  const id = newUlid(clock.now());
  return new Promise((resolve) => {
    const finish = (answer: { from: string; text: string } | null): void => {
      clock.clearTimeout(timer);
      system.unsubscribe(topic, inbox);
      system.unregister(inbox);
      resolve(answer);
    };
    const timer = clock.setTimeout(() => finish(null), deps.helpTimeoutMs);
    system.register(inbox, (message) => {
      const answer = answerTo(message, id, deps.agent);
      if (answer !== undefined) finish(answer);
    });
    system.subscribe(topic, inbox);
    const data: TaskHelpRequest = {
      agent: deps.agent,
      id,
      labels: task.labels,
      node: deps.node,
      question,
      task: task.key,
      title: task.title,
    };
    const request = { type: 'task_help_request', data };
    system.publish(topic, request);
    system.publish(TOPICS.hmmm, request);
  });
}
