/**
 * The reply reader: one model call's completion → one decision, or a correction naming exactly
 * what was found (SPEC §10). Reasoning — `<think>` sections in the text, the `reasoning_content`
 * or `thinking` field, a schema reply's `thought` — is kept for the transcript and never read as
 * the decision. Exactly one decision is taken: one tool call, else one JSON object anywhere in
 * the text (fenced or not), one ```json block or one ```bash/```sh block. None or several, a cut
 * reply (`finish_reason: length`), a refusal, a bad tool call: a correction, and nothing runs.
 *
 * A ```bash block of several lines is one command: it runs whole as a script with `sh -c`, as
 * mini-swe-agent runs its one block. Tool calls are read in every mode (a server may send them
 * unasked), and text is read in tools mode too (many servers ignore `tool_choice`).
 */
import { TOOL_NAMES, type ChatCompletion, type ReplyMode } from './conversation.js';
import { decisionFromToolCall } from './reply-parser.js';
import { scanText, splitReasoning, type Candidate } from './reply-scan.js';
import type { Decision } from './types.js';

/** Why a reply could not be used; `empty` and `cut` are told apart by the reasoner's errors. */
export type ReplyProblem = 'empty' | 'cut' | 'refused' | 'none' | 'several' | 'invalid';

/** A usable reply. */
export interface ReadDecision {
  decision: Decision;
  /** The model's reasoning of this turn, for the transcript and the next prompts. */
  reasoning?: string;
  /** The id of the tool call the decision came from; its result is sent back under it. */
  toolCallId?: string;
}

/** An unusable reply: what to tell the model before asking again. */
export interface ReadCorrection {
  correction: string;
  problem: ReplyProblem;
  reasoning?: string;
}

export type ReplyReading = ReadDecision | ReadCorrection;

/** How to answer, per mode, as the end of every correction. */
export function answerRule(mode: ReplyMode): string {
  switch (mode) {
    case 'tools':
      return `call exactly one tool (${Object.values(TOOL_NAMES).join(', ')})`;
    case 'schema':
      return 'answer with exactly one JSON object of the schema';
    case 'text':
      return 'answer with exactly one JSON object or one ```bash block';
  }
}

/** Reads one completion. Pure: the same completion and mode always give the same reading. */
export function readReply(completion: ChatCompletion, mode: ReplyMode): ReplyReading {
  const split = splitReasoning(completion.text);
  const thoughts = [completion.reasoning?.trim() ?? '', ...split.reasoning].filter((t) => t !== '');
  const withReasoning = <T extends object>(reading: T, extra: string[] = []): T & { reasoning?: string } => {
    const all = [...thoughts, ...extra];
    return all.length === 0 ? reading : { ...reading, reasoning: all.join('\n\n') };
  };
  const fix = (problem: ReplyProblem, found: string) =>
    withReasoning({ correction: `${found}; ${answerRule(mode)}`, problem });

  if (completion.finishReason === 'length') {
    return fix('cut', 'your reply was cut at the token limit; answer shorter');
  }
  const refusal = completion.refusal?.trim() ?? '';
  if (refusal !== '' || completion.finishReason === 'content_filter') {
    const said = refusal === '' ? 'the server filtered your reply' : `you refused: ${refusal.slice(0, 200)}`;
    return fix('refused', `${said}; the task is a coding task in a sandbox`);
  }
  const calls = completion.toolCalls ?? [];
  if (calls.length > 1) {
    const names = calls.map((c) => c.name).join(', ');
    return fix('several', `found ${calls.length} tool calls (${names}) and ran none`);
  }
  const call = calls[0];
  if (call !== undefined) {
    const reading = decisionFromToolCall(call.name, call.arguments);
    if ('problem' in reading) return fix('invalid', `your tool call could not be used: ${reading.problem}`);
    return withReasoning({ decision: reading.decision, toolCallId: call.id });
  }
  if (split.visible.trim() === '') {
    return fix(
      'empty',
      thoughts.length > 0 ? 'your reply held reasoning but no decision' : 'your reply was empty',
    );
  }
  const scan = scanText(split.visible);
  const only = scan.candidates.length === 1 ? scan.candidates[0] : undefined;
  if (only !== undefined) {
    if ('problem' in only.reading)
      return fix('invalid', `your ${nameOf(only)} could not be used: ${only.reading.problem}`);
    const thought = only.reading.thought;
    return withReasoning({ decision: only.reading.decision }, thought === undefined ? [] : [thought]);
  }
  if (scan.candidates.length === 0) {
    const others = scan.otherBlocks.length === 0 ? '' : ` (found ${countOthers(scan.otherBlocks)})`;
    return fix('none', `found no decision in your reply${others}`);
  }
  return fix('several', `found ${describe(scan.candidates)} and ran none`);
}

/** Whether a reading is a decision. */
export function isDecision(reading: ReplyReading): reading is ReadDecision {
  return 'decision' in reading;
}

function nameOf(candidate: Candidate): string {
  return candidate.kind === 'bash' ? 'bash block' : candidate.kind === 'json' ? 'JSON object' : 'json block';
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** "2 bash blocks and 1 JSON object". */
function describe(candidates: readonly Candidate[]): string {
  const count = (kind: Candidate['kind']) => candidates.filter((c) => c.kind === kind).length;
  const parts = [
    count('bash') > 0 ? plural(count('bash'), 'bash block', 'bash blocks') : '',
    count('json') > 0 ? plural(count('json'), 'JSON object', 'JSON objects') : '',
    count('broken-json') > 0 ? plural(count('broken-json'), 'broken json block', 'broken json blocks') : '',
  ].filter((p) => p !== '');
  return parts.length === 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`;
}

function countOthers(blocks: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const b of blocks) counts.set(b, (counts.get(b) ?? 0) + 1);
  return [...counts].map(([b, n]) => (n === 1 ? b : `${n}× ${b}`)).join(', ');
}
