/**
 * How each model is asked for its decision, found by trying and remembered for the process:
 * native tool calls first; when the server refuses tools (an HTTP 4xx naming them, or "does
 * not support tools" as Ollama says of a model without them), a JSON-schema response format;
 * when that is refused too, plain text. Remembered per (endpoint, model), so every task of a
 * node on the same model starts in the mode that worked, and the mode is logged once.
 */
import type { Logger } from '../../lib/index.js';
import { describeError } from '../../lib/errors.js';
import { REPLY_MODES, type ReplyMode } from './conversation.js';
import { LlmHttpError } from './errors.js';
import type { ReplyModes } from './types.js';

/** What `bzzz config print` shows as `reply_mode`. */
export const REPLY_MODE_POLICY = `negotiated per model: ${REPLY_MODES.join(' → ')}`;

/** Words a server's 4xx uses when it does not take what a mode sends. */
const REFUSAL: Record<Exclude<ReplyMode, 'text'>, RegExp> = {
  tools: /\btools?\b|tool_choice|tool[ _-]?call|function[ _-]?call|\bfunctions\b/i,
  schema: /response_format|json_schema|\bformat\b|structured output|\bschema\b|grammar/i,
};

/** Whether `error` is a server refusing what `mode` sends (status 400/404/422/501 naming it). */
export function isModeRefusal(mode: ReplyMode, error: unknown): boolean {
  if (mode === 'text' || !(error instanceof LlmHttpError)) return false;
  if (![400, 404, 422, 501].includes(error.status)) return false;
  return REFUSAL[mode].test(error.serverMessage);
}

/** Reply modes per (endpoint, model) for the process. */
export class ReplyModeRegistry {
  readonly #modes = new Map<string, ReplyMode>();
  /** `key + mode` once logged, so each mode of a model is logged once per process. */
  readonly #logged = new Set<string>();

  /**
   * The modes of `model` on `endpoint`; `logger` hears each mode once per model. `fallback`
   * moves down (tools → schema → text) only when `error` is the server refusing `mode`.
   */
  for(endpoint: string, model: string, logger: Logger): ReplyModes {
    const key = `${endpoint} ${model}`;
    const current = (): ReplyMode => {
      const mode = this.#modes.get(key) ?? REPLY_MODES[0];
      if (!this.#logged.has(`${key} ${mode}`)) {
        this.#logged.add(`${key} ${mode}`);
        logger.info({ model, endpoint, mode }, `model replies in ${mode} mode`);
      }
      return mode;
    };
    return {
      current,
      fallback: (mode, error) => {
        if (!isModeRefusal(mode, error)) return false;
        const next = REPLY_MODES[REPLY_MODES.indexOf(mode) + 1] ?? 'text';
        const now = this.#modes.get(key) ?? REPLY_MODES[0];
        // Two calls refused at once move the mode down once.
        if (REPLY_MODES.indexOf(next) > REPLY_MODES.indexOf(now)) this.#modes.set(key, next);
        logger.warn(
          { model, endpoint, mode, next, err: describeError(error) },
          `server refused ${mode} mode`,
        );
        return true;
      },
    };
  }

  /** The mode `model` on `endpoint` is asked in now. */
  peek(endpoint: string, model: string): ReplyMode {
    return this.#modes.get(`${endpoint} ${model}`) ?? REPLY_MODES[0];
  }
}

/** The registry of this process. */
export const replyModes = new ReplyModeRegistry();
