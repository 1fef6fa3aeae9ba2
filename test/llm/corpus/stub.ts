/**
 * DEVELOPMENT STUB of the replay corpus (three entries), only in the wire worktree: the real
 * corpus is `index.ts`, written by the reply reader's engineer in the same neutral shape.
 * Delete at merge.
 */
import type { CorpusEntry } from '../corpus-run.js';

export const REPLY_CORPUS: readonly CorpusEntry[] = [
  {
    name: 'plain JSON object',
    reply: { content: '{"action":"command","command":"ls -la"}' },
    expect: { decision: { kind: 'command', command: 'ls -la' } },
  },
  {
    name: 'one tool call with string arguments',
    reply: { toolCalls: [{ name: 'finish', arguments: '{"summary":"fixed the typo"}' }] },
    expect: { decision: { kind: 'done', summary: 'fixed the typo' } },
  },
  {
    name: 'prose with no decision',
    reply: { content: 'Sure! I would run sed on the README.' },
    expect: { correction: 'could not be used' },
  },
];
