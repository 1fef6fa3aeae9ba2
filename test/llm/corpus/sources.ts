// The public documents the corpus is written from.
export const SOURCES = {
  openaiChat: 'https://platform.openai.com/docs/api-reference/chat/object',
  openaiTools: 'https://platform.openai.com/docs/guides/function-calling',
  openaiStructured: 'https://platform.openai.com/docs/guides/structured-outputs#refusals',
  ollamaApi: 'https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-with-tools',
  ollamaThinking: 'https://ollama.com/blog/thinking',
  ollamaStructured: 'https://ollama.com/blog/structured-outputs',
  deepseekReasoner: 'https://api-docs.deepseek.com/guides/reasoning_model',
  deepseekTools: 'https://api-docs.deepseek.com/guides/function_calling',
  deepseekR1Card: 'https://huggingface.co/deepseek-ai/DeepSeek-R1#usage-recommendations',
  qwen3Card: 'https://huggingface.co/Qwen/Qwen3-8B#switching-between-thinking-and-non-thinking-mode',
  qwenFunctionCall: 'https://qwen.readthedocs.io/en/latest/framework/function_call.html',
  miniSweAgent: 'https://mini-swe-agent.com/latest/faq/',
} as const;
