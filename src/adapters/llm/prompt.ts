/**
 * The prompt every model-backed reasoner sends: a system message telling the environment and,
 * per reply mode, how to answer; the task; then the history as the model's own moves (its
 * reasoning kept) and what they did — tool calls and `tool` results in tools mode, decisions
 * and observations otherwise. The context budget (context-budget.ts) decides which steps are
 * shown whole and which folded into one line.
 */
import { TOOL_NAMES, type ChatCompletion, type ChatMessage, type ReplyMode } from './conversation.js';
import type { Decision, HistoryEntry, ReasonerTask } from './types.js';

export type { ChatMessage } from './conversation.js';

/** A command step of the history. */
export type CommandEntry = Extract<HistoryEntry, { kind: 'command' }>;

/** Output kept per stream of a command, from its end (errors are usually last). */
const OUTPUT_TAIL = 4_000;
/** Reasoning kept per earlier step, from its end (the conclusion is last). */
const REASONING_TAIL = 2_000;
const MAX_FILES = 60;

const ROLE = `You are a bzzz agent: a headless coding agent working alone on one task in a clone of a git repository.`;

const RULES = `Never run interactive programs or commands that do not terminate. Ask for help rather than guessing when you are stuck.`;

const ANSWER: Record<ReplyMode, string> = {
  tools: `Act by calling exactly one tool per reply:
- ${TOOL_NAMES.command}: run one shell command; you then see its exit code and output;
- ${TOOL_NAMES.done}: finish with a summary when the work in the repository is complete;
- ${TOOL_NAMES.help}: ask another agent or a human a question when you are stuck.
Never call several tools at once: none of them would run.`,
  schema: `Answer each turn with exactly one JSON object, in one of these three forms:
{"action":"command","command":"<one non-interactive shell command>"}
{"action":"done","summary":"<what you changed and why>"}
{"action":"help","question":"<what you need from another agent or a human>"}
You may add a short "thought" field.`,
  text: `Answer each turn with exactly one decision: one JSON object in one of these three forms
{"action":"command","command":"<one non-interactive shell command>"}
{"action":"done","summary":"<what you changed and why>"}
{"action":"help","question":"<what you need from another agent or a human>"}
or, for a command, exactly one \`\`\`bash block (run whole as one script).
You may think before it, but a reply with no decision or with several is not run.`,
};

function environment(task: ReasonerTask): string {
  const lines = [
    'You work inside a sandbox. Every command runs with `sh -c` in the repository root, which is the working directory; you then see its exit code and output.',
  ];
  if (task.files !== undefined && task.files.length > 0) {
    const shown = task.files.slice(0, MAX_FILES).join(', ');
    const more = task.files.length > MAX_FILES ? `, and ${task.files.length - MAX_FILES} more` : '';
    lines.push(`The repository root holds: ${shown}${more}.`);
  }
  if (task.network === true) lines.push('The network is reachable from the sandbox.');
  else if (task.network === false)
    lines.push('The network is not reachable from the sandbox: do not download or install anything.');
  else lines.push('The network may not be reachable from the sandbox: prefer what is already installed.');
  lines.push(
    'Do not commit, push or open pull requests: when you finish, bzzz commits your changes, pushes the branch and opens the pull request.',
  );
  return lines.join('\n');
}

/** The system message for `task` in `mode`. */
export function systemPrompt(task: ReasonerTask, mode: ReplyMode): string {
  return [ROLE, environment(task), ANSWER[mode], RULES].join('\n');
}

/** The system message and the task: always sent whole. */
export function headMessages(task: ReasonerTask, mode: ReplyMode): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(task, mode) },
    { role: 'user', content: `Task ${task.key}: ${task.title}\n\n${task.body}`.trimEnd() },
  ];
}

/** A piece of advice or a peer's suggestion on the plan, always sent whole. */
export function adviceMessage(entry: Extract<HistoryEntry, { kind: 'advice' | 'review' }>): ChatMessage {
  if (entry.kind === 'advice') return { role: 'user', content: `Advice from ${entry.from}:\n${entry.text}` };
  const plan = entry.plan === undefined ? '' : `Your plan was:\n${tail(entry.plan, OUTPUT_TAIL)}\n\n`;
  return {
    role: 'user',
    content: `${plan}${entry.from} reviewed your plan and suggests:\n${entry.text}`,
  };
}

/** A command step as the model's move and its result; `step` numbers it from 1. */
export function stepMessages(entry: CommandEntry, step: number, mode: ReplyMode): ChatMessage[] {
  const reasoning = entry.reasoning === undefined ? {} : { reasoning: tail(entry.reasoning, REASONING_TAIL) };
  if (mode === 'tools') {
    const id = entry.toolCallId ?? `call_step_${step}`;
    const args = JSON.stringify({ command: entry.command });
    return [
      {
        role: 'assistant',
        content: '',
        ...reasoning,
        toolCalls: [{ id, name: TOOL_NAMES.command, arguments: args }],
      },
      { role: 'tool', toolCallId: id, name: TOOL_NAMES.command, content: renderObservation(entry) },
    ];
  }
  return [
    { role: 'assistant', content: renderDecision({ kind: 'command', command: entry.command }), ...reasoning },
    { role: 'user', content: renderObservation(entry) },
  ];
}

/** A command step in one line: number, command, exit code, first line of output. */
export function foldedLine(entry: CommandEntry, step: number): string {
  const first = firstLine(entry.stdout) ?? firstLine(entry.stderr) ?? '(no output)';
  return `#${step} ${clip(oneLine(entry.command), 200)} → exit ${entry.exitCode}: ${clip(first, 120)}`;
}

/** The message holding folded steps. */
export function foldedMessage(lines: readonly string[], omitted: number): ChatMessage {
  const head = 'Earlier steps, one line each (step, command, exit code, first line of output):';
  const gap = omitted > 0 ? [`(${omitted} earlier steps omitted)`] : [];
  return { role: 'user', content: [head, ...gap, ...lines].join('\n') };
}

/**
 * After an unusable reply: the reply as the model sent it (text only: a bad or surplus tool
 * call is named, not replayed, so that no server sees a call without its result) and what
 * was wrong with it.
 */
export function correctionMessages(completion: ChatCompletion, correction: string): ChatMessage[] {
  const calls = completion.toolCalls ?? [];
  const said = completion.text.slice(0, 2_000);
  const content =
    said !== '' || calls.length === 0 ? said : `(called ${calls.map((c) => c.name).join(', ')})`;
  return [
    { role: 'assistant', content },
    { role: 'user', content: `Your last reply could not be used: ${correction}.` },
  ];
}

/** A decision as the model is asked to write it in text and schema modes. */
export function renderDecision(decision: Decision): string {
  switch (decision.kind) {
    case 'command':
      return JSON.stringify({ action: 'command', command: decision.command });
    case 'done':
      return JSON.stringify({ action: 'done', summary: decision.summary });
    case 'help':
      return JSON.stringify({ action: 'help', question: decision.question });
  }
}

function renderObservation(entry: CommandEntry): string {
  const parts = [`exit code ${entry.exitCode}`];
  if (entry.stdout.length > 0) parts.push(`stdout:\n${tail(entry.stdout, OUTPUT_TAIL)}`);
  if (entry.stderr.length > 0) parts.push(`stderr:\n${tail(entry.stderr, OUTPUT_TAIL)}`);
  if (entry.stdout.length === 0 && entry.stderr.length === 0) parts.push('(no output)');
  return parts.join('\n');
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `[...${text.length - max} characters cut]\n${text.slice(-max)}`;
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A rough token count for servers that report none (about four characters a token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The estimated tokens of one message: its text, reasoning and tool calls, and a little framing. */
export function estimateMessageTokens(message: ChatMessage): number {
  let chars = message.content.length;
  if (message.role === 'assistant') {
    chars += message.reasoning?.length ?? 0;
    for (const call of message.toolCalls ?? []) {
      chars += call.name.length + call.id.length + JSON.stringify(call.arguments).length;
    }
  }
  return Math.ceil(chars / 4) + 4;
}

/** The estimated tokens of a whole request's messages. */
export function estimateMessagesTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0);
}
