/**
 * Asking other agents for help (HMMM): a `task_help_request` (the protocol's, with an id of its
 * own) goes to the meta-discussion channel and the task's own channel; the first
 * `task_help_response` naming that id, from another agent, within the time limit is the
 * advice. No answer in time resolves null (the task escalates). The request is a node of the
 * task's thread first, and the message carries its hash, so the advisor reads the thread from
 * there; the answer's node becomes part of this agent's thread.
 */
import type { TaskFacts } from '../../../machines/task.js';
import { MAX_TEXT } from '../../../protocol/limits.js';
import { newUlid } from '../../../protocol/ids.js';
import { taskHelpResponseSchema, type TaskHelpRequest } from '../../../protocol/index.js';
import { encodeTaskKeyToken } from '../../../protocol/task-key.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { MailboxMessage } from '../../message.js';
import type { TaskDeps } from '../deps.js';
import { adoptNode, recordNode } from './thread.js';

let nextInbox = 1;

/** Advice from another agent, and its node in the task's thread when it sent one. */
interface Answer {
  from: string;
  text: string;
  thread: string | undefined;
}

/** The advice in `message` when it answers request `id` and comes from another agent. */
function answerTo(message: MailboxMessage, id: string, self: string): Answer | undefined {
  if (message.type !== 'task_help_response') return undefined;
  const parsed = taskHelpResponseSchema.safeParse(message.data);
  if (!parsed.success || parsed.data.request !== id || parsed.data.agent === self) return undefined;
  if (parsed.data.answer.trim() === '') return undefined;
  return {
    from: parsed.data.agent ?? parsed.data.node,
    text: parsed.data.answer,
    thread: parsed.data.thread,
  };
}

export async function askForHelp(
  deps: TaskDeps,
  task: TaskFacts,
  question: string,
): Promise<{ from: string; text: string } | null> {
  const id = newUlid(deps.clock.now());
  const asked = question.slice(0, MAX_TEXT);
  const thread = await recordNode(deps, task.key, 'help_request', { question: asked, request: id });
  const answer = await awaitAnswer(deps, task, {
    agent: deps.agent,
    id,
    labels: task.labels,
    node: deps.node,
    question: asked,
    task: task.key,
    ...(thread === undefined ? {} : { thread }),
    title: task.title,
  });
  if (answer === null) return null;
  await adoptNode(deps, task.key, answer.thread);
  return { from: answer.from, text: answer.text };
}

/** Publishes the request and waits for the first answer to it, or null after the time limit. */
function awaitAnswer(deps: TaskDeps, task: TaskFacts, data: TaskHelpRequest): Promise<Answer | null> {
  const { system, clock } = deps;
  const inbox = `help/${encodeTaskKeyToken(task.key)}-${nextInbox++}`;
  const topic = TOPICS.task(task.key);
  return new Promise((resolve) => {
    const finish = (answer: Answer | null): void => {
      clock.clearTimeout(timer);
      system.unsubscribe(topic, inbox);
      system.unregister(inbox);
      resolve(answer);
    };
    const timer = clock.setTimeout(() => finish(null), deps.helpTimeoutMs);
    system.register(inbox, (message) => {
      const answer = answerTo(message, data.id, deps.agent);
      if (answer !== undefined) finish(answer);
    });
    system.subscribe(topic, inbox);
    const request = { type: 'task_help_request', data };
    system.publish(topic, request);
    system.publish(TOPICS.hmmm, request);
  });
}
