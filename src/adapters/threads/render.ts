/**
 * A thread as text for a model's prompt: one line per node, oldest first, and what could not
 * be read. Each node's text is clipped and, past the budget, the oldest lines give way, so a
 * long thread never crowds the question out.
 */
import type { ThreadNode } from '../../protocol/thread-node.js';
import type { ThreadHistory } from './types.js';

const NODE_CHARS = 1_000;
const DEFAULT_BUDGET = 8_000;

function clip(text: string, max: number): string {
  const flat = text.trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function who(node: ThreadNode): string {
  return node.from.agent ?? `node ${node.from.node.slice(0, 12)}`;
}

/** One node in one line (its texts clipped). */
export function describeNode(node: ThreadNode): string {
  const by = who(node);
  switch (node.kind) {
    case 'help_request':
      return `${by} asked for help: ${clip(node.body.question, NODE_CHARS)}`;
    case 'help_response':
      return `${by} answered: ${clip(node.body.answer, NODE_CHARS)}`;
    case 'escalation':
      return `${by} escalated to a human: ${clip(node.body.reason, NODE_CHARS)}`;
    case 'plan_proposal':
      return `${by} proposed a plan:\n${clip(node.body.plan, NODE_CHARS)}`;
    case 'plan_review':
      return `${by} reviewed the plan (${node.body.verdict}): ${clip(node.body.reason, NODE_CHARS)}`;
    case 'plan_outcome': {
      const detail = node.body.detail === undefined ? '' : `: ${clip(node.body.detail, NODE_CHARS)}`;
      return `${by}'s plan review ended ${node.body.outcome}${detail}`;
    }
  }
}

/** The thread as text, oldest first, within `budget` characters (the newest nodes kept). */
export function describeThread(history: ThreadHistory, budget: number = DEFAULT_BUDGET): string {
  const lines = history.nodes.map(({ node }) => `- [${node.at}] ${describeNode(node)}`);
  const notes: string[] = [];
  if (history.truncated) notes.push('(earlier nodes not read)');
  const unreadable = history.missing.length + history.corrupt.length;
  if (unreadable > 0)
    notes.push(
      `(${unreadable} node${unreadable === 1 ? '' : 's'} could not be read: ${history.missing.length} not held here, ${history.corrupt.length} corrupt)`,
    );
  let total = notes.reduce((sum, note) => sum + note.length + 1, 0);
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (total + line.length + 1 > budget) {
      notes.unshift(`(${i + 1} older node${i === 0 ? '' : 's'} left out)`);
      break;
    }
    total += line.length + 1;
    kept.unshift(line);
  }
  return [...notes, ...kept].join('\n');
}
