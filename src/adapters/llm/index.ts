/**
 * The reasoner port (SPEC §10): from a task and what happened so far, the next step — a shell
 * command, `done` with a summary, or `help` with a question — and the tokens it cost.
 *
 * Backends: `scripted` (the task body's ```bzzz-steps block), `ollama` (`/api/chat` through the
 * `ollama` client) and `openai` (any OpenAI-compatible `/chat/completions`). Per-task limits
 * (steps, wall time, tokens, cost, repeated failures) are enforced by wrapping any of them
 * in {@link createReasonerGuard}.
 */
import { ChatReasoner, fromLegacyBackend } from './chat.js';
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
export type { RetryPolicy } from '../../lib/backoff.js';

/** Builds the reasoner chosen by `init`. */
export function createReasoner(init: ReasonerInit, components: ReasonerComponents): Reasoner {
  switch (init.backend) {
    case 'scripted':
      return new ScriptedReasoner();
    case 'ollama':
      return new ChatReasoner(
        'ollama',
        fromLegacyBackend(new OllamaChatBackend(init, components)),
        init,
        components,
      );
    case 'openai':
      return new ChatReasoner(
        'openai',
        fromLegacyBackend(new OpenAiChatBackend(init, components)),
        init,
        components,
      );
  }
}
