/**
 * Plan review with a chat model (issue 16): the prompts that ask a model for its plan, for a
 * verdict on a peer's plan, and to reconcile peers' suggestions, and the readers of the
 * replies. Each is one plain-text call (no tools); the reasoning a model writes is set apart
 * and never read as the answer. A reply that does not say what was asked earns a correction.
 */
import type { ChatMessage } from './conversation.js';
import { splitReasoning } from './reply-scan.js';
import type { ReasonerTask, ReviewResult, Suggestion } from './types.js';

/** Steps a plan may have. */
const MAX_PLAN_STEPS = 8;
/** Characters of the task body a planning prompt shows. */
const BODY_CHARS = 8_000;
/** Characters kept of a plan, a reason or a merged suggestion. */
const ANSWER_CHARS = 8_000;

/** What reading a reply gave: the answer, or what to tell the model. */
export type Reading<T> = { ok: true; value: T } | { ok: false; correction: string };

function taskText(task: ReasonerTask): string {
  const body = task.body.length > BODY_CHARS ? `${task.body.slice(0, BODY_CHARS)}\n[…]` : task.body;
  return `Task ${task.key}: ${task.title}\n\n${body}`.trimEnd();
}

function clip(text: string): string {
  return text.length > ANSWER_CHARS ? `${text.slice(0, ANSWER_CHARS - 1)}…` : text;
}

/** The model's visible answer, its reasoning set apart. */
function visible(text: string): string {
  return splitReasoning(text).visible.trim();
}

/** Asks for the agent's own plan. */
export function planMessages(task: ReasonerTask): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `You are a bzzz agent: a headless coding agent about to work alone on one task in a clone of a git repository, in a sandbox. Before you start, write your plan for your peers to review: at most ${MAX_PLAN_STEPS} numbered steps, one line each, saying what you will look at, what you will change and how you will check it. Reply with the plan only.`,
    },
    { role: 'user', content: taskText(task) },
  ];
}

/** Asks for a verdict on a peer's plan. */
export function reviewMessages(task: ReasonerTask, plan: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You are a bzzz agent reviewing the plan another agent proposes for a task it will carry out in a sandboxed clone of the repository. Answer with exactly one line: `APPROVE: <why the plan will do>` when it is sound, or `SUGGEST: <the change you suggest>` when something should change.',
    },
    { role: 'user', content: `${taskText(task)}\n\nThe plan:\n${plan}` },
  ];
}

/** Asks to merge peers' suggestions on the agent's plan into one instruction, or to say they conflict. */
export function reconcileMessages(
  task: ReasonerTask,
  plan: string,
  suggestions: readonly Suggestion[],
): ChatMessage[] {
  const listed = suggestions.map((s, i) => `${i + 1}. ${s.from}: ${s.text}`).join('\n');
  return [
    {
      role: 'system',
      content:
        'You are a bzzz agent. Your peers reviewed your plan and suggested changes. When every suggestion can be followed together, answer `MERGED: ` and one instruction that follows all of them. When they contradict each other, answer `CONFLICT: ` and why.',
    },
    { role: 'user', content: `${taskText(task)}\n\nYour plan:\n${plan}\n\nThe suggestions:\n${listed}` },
  ];
}

/** The plan in a reply. */
export function readPlan(text: string): Reading<string> {
  const plan = visible(text);
  return plan === ''
    ? { ok: false, correction: 'the plan is empty: write the numbered steps' }
    : { ok: true, value: clip(plan) };
}

/** The first `TAG: text` of a reply among `tags` (case and markup around the tag ignored). */
function tagged(text: string, tags: readonly string[]): { tag: string; rest: string } | undefined {
  const pattern = new RegExp(`^[\\s*_#>\`-]*(${tags.join('|')})\\b[\\s*_\`]*[:\\-–]?\\s*`, 'im');
  const shown = visible(text);
  const match = pattern.exec(shown);
  if (match === null) return undefined;
  const rest = shown
    .slice(match.index + match[0].length)
    .replace(/^[*_`\s]+/, '')
    .trim();
  return { tag: (match[1] as string).toLowerCase(), rest };
}

/** A verdict in a reply. */
export function readReview(text: string): Reading<ReviewResult> {
  const found = tagged(text, ['approve', 'suggest']);
  if (found === undefined)
    return { ok: false, correction: 'answer with one line starting `APPROVE:` or `SUGGEST:`' };
  if (found.tag === 'suggest' && found.rest === '')
    return { ok: false, correction: 'say what you suggest after `SUGGEST:`' };
  const verdict = found.tag === 'approve' ? 'approve' : 'suggest';
  return { ok: true, value: { verdict, reason: clip(found.rest) } };
}

/** The merged instruction in a reply, or null when the model says the suggestions conflict. */
export function readReconciled(text: string): Reading<string | null> {
  const found = tagged(text, ['merged', 'conflict']);
  if (found === undefined)
    return { ok: false, correction: 'answer starting `MERGED:` with the instruction, or `CONFLICT:`' };
  if (found.tag === 'conflict') return { ok: true, value: null };
  return found.rest === ''
    ? { ok: false, correction: 'write the merged instruction after `MERGED:`' }
    : { ok: true, value: clip(found.rest) };
}
