/**
 * The reasoner port (SPEC §10): from a task and what happened so far, the next step — a shell
 * command, `done` with a summary, or `help` with a question — and the tokens it cost.
 *
 * Backends: `scripted` (the task body's ```bzzz-steps block), `ollama` (`/api/chat` through the
 * `ollama` client) and `openai` (any OpenAI-compatible `/chat/completions`). A model is asked
 * for native tool calls first, then a JSON-schema reply, then text, as its server allows
 * (`modes.ts`, remembered per model for the process). Per-task limits
 * (steps, wall time, tokens, cost, repeated failures) are enforced by wrapping any of them
 * in {@link createReasonerGuard}.
 */
import { ChatReasoner } from './chat.js';
import { replyModes } from './modes.js';
import { OllamaChatBackend } from './ollama.js';
import { OpenAiChatBackend } from './openai.js';
import { ScriptedReasoner } from './scripted.js';
import type { Reasoner, ReasonerInit, ReasonerComponents } from './types.js';

export type * from './types.js';
export * from './errors.js';
export {
  createReasonerGuard,
  type GuardLimits,
  type GuardedReasoner,
  type ModelPrice,
  type Spending,
} from './guard.js';
export { parseScriptedSteps } from './scripted.js';
export { parseDecision } from './reply-parser.js';
export { REPLY_MODE_POLICY, isModeRefusal, replyModes } from './modes.js';
export { REPLY_MODES, type ReplyMode } from './conversation.js';
export type { RetryPolicy } from '../../lib/backoff.js';

/** Builds the reasoner chosen by `init`. */
export function createReasoner(init: ReasonerInit, components: ReasonerComponents): Reasoner {
  switch (init.backend) {
    case 'scripted':
      return new ScriptedReasoner();
    case 'ollama': {
      const wire = new OllamaChatBackend(init, components);
      const modes = replyModes.for(wire.endpoint, init.model, components.logger);
      return new ChatReasoner('ollama', wire, init, components, modes);
    }
    case 'openai': {
      const wire = new OpenAiChatBackend(init, components);
      const modes = replyModes.for(wire.endpoint, init.model, components.logger);
      return new ChatReasoner('openai', wire, init, components, modes);
    }
  }
}
