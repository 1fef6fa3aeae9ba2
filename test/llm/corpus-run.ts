/**
 * Runs one replay-corpus entry end to end: a loopback server of either wire (OpenAI SSE or
 * JSON, Ollama NDJSON or JSON) answers with the entry in its wire form, in the reply mode
 * asked for (the server refuses the modes above it, so the reasoner negotiates down to it),
 * and the model-backed reasoner reads it. The outcome is the decision taken, or the
 * correction sent back to the model before it answered again. Shared by the corpus test and
 * the `reasoner.corpus` benchmark.
 */
import { createReasoner, type Decision, type ReplyMode } from '../../src/adapters/llm/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import {
  decisionAsToolCall,
  type FakeLlmReply,
  type FakeLlmServer,
  type WireReply,
} from '../fakes/llm-server.js';
import { startFakeOllama } from '../fakes/ollama-server.js';
import { startFakeOpenAi } from '../fakes/openai-server.js';
import type { ReplyCase } from './corpus/types.js';

/** One labelled reply shape of the corpus (`test/llm/corpus/`). */
export type CorpusEntry = ReplyCase;

export type Wire = 'openai' | 'ollama';

/** Whether an entry can arrive in this mode on this wire. */
export function applies(entry: CorpusEntry, wire: Wire, mode: ReplyMode): boolean {
  if (entry.modes !== undefined && !entry.modes.includes(mode)) return false;
  if (entry.reply.toolCalls !== undefined && entry.reply.toolCalls.length > 0 && mode !== 'tools')
    return false;
  // Ollama has no refusal field; a refusal there is plain text, another entry's shape.
  if (entry.reply.refusal !== undefined && wire === 'ollama') return false;
  // nor a content filter: its `done_reason` is `stop` or `length`
  if (entry.reply.finishReason === 'content_filter' && wire === 'ollama') return false;
  return true;
}

export type Outcome = { decision: Decision } | { correction: string } | { error: string };

const modeOf = (body: unknown): ReplyMode => {
  const b = body as Record<string, unknown>;
  if (b.tools !== undefined) return 'tools';
  if (b.response_format !== undefined || typeof b.format === 'object') return 'schema';
  return 'text';
};

const FOLLOW_UP: Decision = { kind: 'done', summary: 'corpus follow-up' };

function followUp(mode: ReplyMode): FakeLlmReply {
  return mode === 'tools'
    ? decisionAsToolCall(FOLLOW_UP)
    : { kind: 'text', text: '{"action":"done","summary":"corpus follow-up"}' };
}

/** The text of the messages a request added after the previous one (the correction). */
function addedText(previous: unknown, next: unknown): string {
  const before = (previous as { messages: unknown[] }).messages.length;
  return (next as { messages: { content?: unknown }[] }).messages
    .slice(before)
    .map((m) => (typeof m.content === 'string' ? m.content : ''))
    .join('\n');
}

async function startServer(wire: Wire, mode: ReplyMode, clock: SimulatedClock): Promise<FakeLlmServer> {
  const refuse = { tools: mode !== 'tools', schema: mode === 'text' };
  return wire === 'openai' ? startFakeOpenAi({ clock, refuse }) : startFakeOllama({ clock, refuse });
}

/** The corpus's neutral reply as the fakes take it (a finish reason they cannot write is left to them). */
function toWire(reply: ReplyCase['reply']): WireReply {
  const { finishReason, ...rest } = reply;
  return finishReason === undefined || finishReason === 'other' ? rest : { ...rest, finishReason };
}

/** Replays `entry` once and says what the reasoner made of it. */
export async function replayEntry(
  entry: CorpusEntry,
  wire: Wire,
  stream: boolean,
  mode: ReplyMode,
): Promise<Outcome> {
  const clock = new SimulatedClock();
  const server = await startServer(wire, mode, clock);
  try {
    const components = { clock, logger: silentLogger() };
    const common = { model: 'corpus-model', stream, maxBadReplies: 1 };
    const reasoner =
      wire === 'openai'
        ? createReasoner({ backend: 'openai', baseUrl: `${server.url}/v1`, ...common }, components)
        : createReasoner({ backend: 'ollama', host: server.url, ...common }, components);
    server.enqueue({ kind: 'reply', reply: toWire(entry.reply) }, followUp(mode));
    let decision: Decision;
    try {
      decision = (
        await reasoner.next({
          task: { key: 'local:corpus/app#1', title: 'Corpus', body: 'Replay.' },
          history: [],
        })
      ).decision;
    } catch (error) {
      return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const asked = server.chatRequests.filter((r) => modeOf(r.body) === mode);
    if (asked.length === 1) return { decision };
    return { correction: addedText(asked[0]!.body, asked[1]!.body) };
  } finally {
    await server.close();
  }
}

/** Whether an outcome is what the entry is labelled with. */
export function matches(entry: CorpusEntry, outcome: Outcome): boolean {
  if ('decision' in entry.expect)
    return (
      'decision' in outcome && JSON.stringify(outcome.decision) === JSON.stringify(entry.expect.decision)
    );
  return (
    'correction' in outcome &&
    outcome.correction.toLowerCase().includes(entry.expect.correction.toLowerCase())
  );
}
