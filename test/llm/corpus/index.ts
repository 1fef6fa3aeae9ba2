/**
 * The replay corpus (issue 12): reply shapes written from the public documentation of the
 * OpenAI, Ollama, DeepSeek and Qwen reply formats, each labelled with the decision or the
 * correction the reader must give. See ./types.ts for the format.
 */
import { TEXT_CASES } from './text.js';
import { TOOL_CASES } from './tools.js';
import type { ReplyCase } from './types.js';

export type * from './types.js';

export const REPLY_CORPUS: readonly ReplyCase[] = [...TEXT_CASES, ...TOOL_CASES];
