/** The reasoner's options as the configuration names them (`BZZZ_LLM`, the model, its host). */
import type { ReasonerInit } from '../adapters/llm/index.js';
import type { Config } from '../config/index.js';
import { NonRetryableError } from '../lib/errors.js';

export function reasonerInit(config: Config): ReasonerInit {
  switch (config.llm) {
    case 'scripted':
      return { backend: 'scripted' };
    case 'ollama':
      return {
        backend: 'ollama',
        model: config.model ?? 'llama3.1',
        ...(config.ollama_host ? { host: config.ollama_host } : {}),
        ...(config.context_tokens ? { contextTokens: config.context_tokens } : {}),
      };
    case 'openai':
      if (config.openai_base_url === undefined)
        throw new NonRetryableError('BZZZ_LLM=openai needs BZZZ_OPENAI_BASE_URL');
      return {
        backend: 'openai',
        baseUrl: config.openai_base_url,
        model: config.model ?? 'gpt-4o-mini',
        ...(config.openai_api_key ? { apiKey: config.openai_api_key } : {}),
        ...(config.context_tokens ? { contextTokens: config.context_tokens } : {}),
      };
  }
}
