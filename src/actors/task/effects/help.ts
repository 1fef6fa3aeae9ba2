/**
 * Asking other agents for help (HMMM): a `task_help_request` goes to the meta-discussion
 * channel and the task's own channel; the first `task_help_response` from another agent
 * within the time limit is the advice. No answer in time resolves null (the task escalates).
 */
import type { TaskFacts } from '../../../machines/task.js';
import { encodeTaskKeyToken } from '../../../protocol/task-key.js';
import type { MailboxMessage } from '../../message.js';
import type { TaskDeps } from '../deps.js';
import { TOPICS } from '../../../protocol/topics.js';

let nextInbox = 1;

export interface HelpResponse {
  key: string;
  from: string;
  text: string;
}

function isHelpResponse(
  message: MailboxMessage,
  key: string,
  self: string,
): message is MailboxMessage<'task_help_response', HelpResponse> {
  if (message.type !== 'task_help_response') return false;
  const data = message.data as Partial<HelpResponse> | undefined;
  return data?.key === key && typeof data.text === 'string' && data.text.trim() !== '' && data.from !== self;
}

export function askForHelp(
  deps: TaskDeps,
  task: TaskFacts,
  question: string,
): Promise<{ from: string; text: string } | null> {
  const { system, clock } = deps;
  const inbox = `help/${encodeTaskKeyToken(task.key)}-${nextInbox++}`;
  const topic = TOPICS.task(task.key);
  return new Promise((resolve) => {
    const finish = (answer: { from: string; text: string } | null): void => {
      clock.clearTimeout(timer);
      system.unsubscribe(topic, inbox);
      system.unregister(inbox);
      resolve(answer);
    };
    const timer = clock.setTimeout(() => finish(null), deps.helpTimeoutMs);
    system.register(inbox, (message) => {
      if (isHelpResponse(message, task.key, deps.agent))
        finish({ from: message.data!.from, text: message.data!.text });
    });
    system.subscribe(topic, inbox);
    const request = {
      type: 'task_help_request',
      // the labels let only agents whose capabilities fit the task answer
      data: { key: task.key, title: task.title, agent: deps.agent, question, labels: task.labels },
    };
    system.publish(topic, request);
    system.publish(TOPICS.hmmm, request);
  });
}
