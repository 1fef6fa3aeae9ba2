/**
 * The context budget (SPEC §10): the messages of a step stay within three quarters of the
 * model's context window (`BZZZ_CONTEXT_TOKENS`), leaving the rest for the reply. When the
 * whole history would pass it, the oldest command steps fold into one line each (command,
 * exit code, first line of output); the system prompt, the task, every piece of advice (and
 * every peer's suggestion on the plan) and the latest steps stay verbatim. If even the folded
 * lines do not fit, the oldest of them give way to a count. Deterministic and local: no model call; the transcript keeps everything.
 */
import type { ChatMessage, ReplyMode } from './conversation.js';
import {
  adviceMessage,
  estimateMessagesTokens,
  estimateTokens,
  foldedLine,
  foldedMessage,
  headMessages,
  stepMessages,
} from './prompt.js';
import type { HistoryEntry, ReasonerTask } from './types.js';

/** The window assumed when neither the user nor the server gives one. */
export const DEFAULT_CONTEXT_TOKENS = 8_192;
/** The share of the window the messages may fill. */
export const CONTEXT_SHARE = 0.75;
/** Command steps always shown whole, the latest ones. */
const KEEP_LATEST = 2;

export interface BudgetOptions {
  mode: ReplyMode;
  contextTokens: number;
  /** Tokens already spoken for in this step (corrections sent after the history). */
  reserveTokens?: number;
}

/** The oldest `omitted` command steps are only counted, the next up to `folded` shown in one line. */
interface Plan {
  folded: number;
  omitted: number;
}

/** The messages of one step, within the budget when the latest steps allow it. */
export function budgetedMessages(
  task: ReasonerTask,
  history: readonly HistoryEntry[],
  options: BudgetOptions,
): ChatMessage[] {
  const limit = Math.floor(options.contextTokens * CONTEXT_SHARE) - (options.reserveTokens ?? 0);
  const commands = history.filter((e) => e.kind === 'command');
  const foldable = Math.max(0, commands.length - KEEP_LATEST);
  const plan = { folded: 0, omitted: 0 };
  let messages = render(task, history, plan, options.mode);
  let total = estimateMessagesTokens(messages);
  if (total <= limit) return messages;
  // Costed once per step, so that many steps fold in one pass; then measured exactly.
  const whole = commands.map((e, i) => estimateMessagesTokens(stepMessages(e, i + 1, options.mode)));
  const line = commands.map((e, i) => estimateTokens(`${foldedLine(e, i + 1)}\n`));
  total += FOLD_HEADER;
  while (total > limit && plan.folded < foldable)
    total -= (whole[plan.folded] ?? 0) - (line[plan.folded++] ?? 0);
  while (total > limit && plan.omitted < plan.folded) total -= line[plan.omitted++] ?? 0;
  messages = render(task, history, plan, options.mode);
  while (estimateMessagesTokens(messages) > limit && plan.omitted < foldable) {
    if (plan.folded < foldable) plan.folded++;
    else plan.omitted++;
    messages = render(task, history, plan, options.mode);
  }
  return messages;
}

/** The tokens of the folded message's header and the count of omitted steps, at most. */
const FOLD_HEADER = 40;

function render(
  task: ReasonerTask,
  history: readonly HistoryEntry[],
  plan: Plan,
  mode: ReplyMode,
): ChatMessage[] {
  const messages = headMessages(task, mode);
  let lines: string[] = [];
  let omitted = 0;
  const flush = () => {
    if (lines.length > 0 || omitted > 0) messages.push(foldedMessage(lines, omitted));
    lines = [];
    omitted = 0;
  };
  let step = 0;
  for (const entry of history) {
    if (entry.kind === 'advice' || entry.kind === 'review') {
      flush();
      messages.push(adviceMessage(entry));
      continue;
    }
    step++;
    if (step <= plan.omitted) omitted++;
    else if (step <= plan.folded) lines.push(foldedLine(entry, step));
    else {
      flush();
      messages.push(...stepMessages(entry, step, mode));
    }
  }
  flush();
  return messages;
}
