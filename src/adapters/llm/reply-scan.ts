/**
 * What a model's text holds, for the reply reader: its reasoning (`<think>…</think>`, also a
 * lone closing tag whose opening the chat template sent, also a section cut before it closed)
 * apart from the visible text, and every decision-shaped thing in the visible text: JSON objects
 * anywhere in prose, fenced ```json blocks and fenced ```bash/```sh blocks. The reader takes
 * exactly one; counting them all is what lets it say precisely what was wrong.
 */
import { decisionFromObject, decisionFromToolCall, type ObjectReading } from './reply-parser.js';

const THINK_TAGS = ['think', 'thinking'] as const;

/** The visible text and the reasoning sections taken out of it. */
export interface SplitText {
  visible: string;
  reasoning: string[];
}

/** Takes the reasoning sections out of `text` (they are never read as the decision). */
export function splitReasoning(text: string): SplitText {
  const reasoning: string[] = [];
  let visible = text;
  for (const tag of THINK_TAGS) {
    const open = `<${tag}>`;
    const close = `</${tag}>`;
    const firstClose = visible.indexOf(close);
    const firstOpen = visible.indexOf(open);
    // DeepSeek-R1 and Qwen3 templates put the opening tag in the prompt: only `</think>` comes back.
    if (firstClose >= 0 && (firstOpen < 0 || firstOpen > firstClose)) {
      reasoning.push(visible.slice(0, firstClose));
      visible = visible.slice(firstClose + close.length);
    }
    for (;;) {
      const start = visible.indexOf(open);
      if (start < 0) break;
      const end = visible.indexOf(close, start + open.length);
      if (end < 0) {
        reasoning.push(visible.slice(start + open.length));
        visible = visible.slice(0, start);
        break;
      }
      reasoning.push(visible.slice(start + open.length, end));
      visible = `${visible.slice(0, start)}\n${visible.slice(end + close.length)}`;
    }
  }
  return { visible, reasoning: reasoning.map((r) => r.trim()).filter((r) => r.length > 0) };
}

/** One decision-shaped thing found in the visible text. */
export interface Candidate {
  /** `json`: an object in prose or a ```json block; `bash`: a ```bash/```sh block. */
  kind: 'json' | 'bash' | 'broken-json';
  reading: ObjectReading;
}

/** Everything found: the candidates, and the fenced blocks that are no decision (`python`). */
export interface Scan {
  candidates: Candidate[];
  otherBlocks: string[];
}

const FENCE = /^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;
const JSON_LANGS = new Set(['json', 'jsonc', 'json5']);
const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh']);

/** Finds every decision in the visible text. */
export function scanText(visible: string): Scan {
  const candidates: Candidate[] = [];
  const otherBlocks: string[] = [];
  const prose = visible.replace(FENCE, (_, rawLang: string, body: string) => {
    const lang = rawLang.toLowerCase();
    if (SHELL_LANGS.has(lang)) {
      candidates.push({ kind: 'bash', reading: commandReading(body) });
    } else if (JSON_LANGS.has(lang) || lang === '') {
      const value = tryJson(body.trim());
      if (value !== undefined && isDecisionShaped(value)) {
        candidates.push({ kind: 'json', reading: readObject(value) });
      } else if (lang === '') {
        otherBlocks.push('an untagged block');
      } else {
        candidates.push({
          kind: 'broken-json',
          reading: { problem: 'a ```json block that is not valid JSON' },
        });
      }
    } else {
      otherBlocks.push(`a ${lang} block`);
    }
    return '\n';
  });
  for (const value of objectsInProse(prose)) candidates.push({ kind: 'json', reading: readObject(value) });
  return { candidates, otherBlocks };
}

function commandReading(body: string): ObjectReading {
  // A block of several lines is one script: `sh -c` runs it whole, as mini-swe-agent does.
  return decisionFromObject({ action: 'command', command: body });
}

/** A decision object, or a tool call written as text (`{"name": "run_command", "arguments": …}`). */
function readObject(value: Record<string, unknown>): ObjectReading {
  if (!('action' in value) && typeof value.name === 'string' && 'arguments' in value) {
    const args = value.arguments;
    if (typeof args === 'string' || (typeof args === 'object' && args !== null && !Array.isArray(args))) {
      return decisionFromToolCall(value.name, args as string | Record<string, unknown>);
    }
    return { problem: `the arguments of ${value.name} are not an object` };
  }
  return decisionFromObject(value);
}

const DECISION_KEYS = ['action', 'command', 'summary', 'question'];

function isDecisionShaped(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (DECISION_KEYS.some((k) => k in value)) return true;
  return 'name' in value && 'arguments' in value;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The decision-shaped JSON objects in prose, each once (an object inside a decision is part of
 * it). One pass: every balanced `{…}` span is tried as JSON when it closes.
 */
function objectsInProse(text: string): Record<string, unknown>[] {
  const spans: { start: number; end: number; value: Record<string, unknown> }[] = [];
  const open: number[] = [];
  let inString = false;
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (inString) {
      if (c === '\\') j++;
      else if (c === '"') inString = false;
    } else if (c === '"' && open.length > 0) inString = true;
    else if (c === '{') open.push(j);
    else if (c === '}' && open.length > 0) {
      const start = open.pop() ?? 0;
      const value = tryJson(text.slice(start, j + 1));
      if (isDecisionShaped(value)) spans.push({ start, end: j, value });
    }
  }
  return spans
    .filter((s) => !spans.some((o) => o !== s && o.start <= s.start && o.end >= s.end))
    .sort((a, b) => a.start - b.start)
    .map((s) => s.value);
}
