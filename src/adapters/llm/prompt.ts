/**
 * The prompt every model-backed reasoner sends: one system message fixing the role and the
 * reply format, the task, then the history as alternating decisions (assistant) and
 * observations (user), so a chat model sees its own past moves and what they did.
 */
import type { Decision, HistoryEntry, ReasonerTask } from './types.js';

/** A chat message in the common shape of Ollama and OpenAI. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Output kept per stream of a command, from its end (errors are usually last). */
const OUTPUT_TAIL = 4_000;

export const SYSTEM_PROMPT = `You are a bzzz agent: a headless coding agent working alone on one task in a clone of a git repository, inside a sandbox.
You act only by proposing shell commands, one at a time. Each runs with \`sh -c\` in the repository root; you then see its exit code and output.
Reply with exactly one JSON object and nothing else, in one of these three forms:
{"action":"command","command":"<one non-interactive shell command>"}
{"action":"done","summary":"<what you changed and why>"}
{"action":"help","question":"<what you need from another agent or a human>"}
You may add a short "thought" field. Do not commit, push or open pull requests: bzzz does that after you answer done.
Never run interactive programs or commands that do not terminate. Ask for help rather than guessing when you are stuck.`;

/** The reminder sent after an unusable reply. */
export function correctionMessage(problem: string): ChatMessage {
  return {
    role: 'user',
    content: `Your last reply could not be used (${problem}). Answer again with exactly one JSON object of the three forms, nothing else.`,
  };
}

/** The messages for one step. */
export function buildMessages(task: ReasonerTask, history: readonly HistoryEntry[]): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `Task ${task.key}: ${task.title}\n\n${task.body}`.trimEnd() },
  ];
  for (const entry of history) {
    if (entry.kind === 'command') {
      messages.push({
        role: 'assistant',
        content: renderDecision({ kind: 'command', command: entry.command }),
      });
      messages.push({ role: 'user', content: renderObservation(entry) });
    } else {
      messages.push({ role: 'user', content: `Advice from ${entry.from}:\n${entry.text}` });
    }
  }
  return messages;
}

/** A decision as the model is asked to write it. */
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

function renderObservation(entry: Extract<HistoryEntry, { kind: 'command' }>): string {
  const parts = [`exit code ${entry.exitCode}`];
  if (entry.stdout.length > 0) parts.push(`stdout:\n${tail(entry.stdout)}`);
  if (entry.stderr.length > 0) parts.push(`stderr:\n${tail(entry.stderr)}`);
  if (entry.stdout.length === 0 && entry.stderr.length === 0) parts.push('(no output)');
  return parts.join('\n');
}

function tail(text: string): string {
  return text.length <= OUTPUT_TAIL
    ? text
    : `[...${text.length - OUTPUT_TAIL} characters cut]\n${text.slice(-OUTPUT_TAIL)}`;
}

/** A rough token count for servers that report none (about four characters a token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
