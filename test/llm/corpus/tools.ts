// Tool-call replies: string and object arguments, parallel calls, bad calls, calls written as text, streamed deltas.
import { SOURCES } from './sources.js';
import type { ReplyCase } from './types.js';

const cmd = (command: string, toolCallId?: string) => ({
  decision: { kind: 'command', command } as const,
  ...(toolCallId === undefined ? {} : { toolCallId }),
});

/** OpenAI's streamed tool call: the id and name first, the arguments in pieces, then finish_reason. */
const DELTAS = [
  { index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'run_command', arguments: '' },
  { index: 0, arguments: '{"' },
  { index: 0, arguments: 'command' },
  { index: 0, arguments: '":"' },
  { index: 0, arguments: 'git log' },
  { index: 0, arguments: ' -1"}' },
].map(({ index, id, name, arguments: args }) => ({
  id: 'chatcmpl-corpus',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      delta: {
        ...(id === undefined ? {} : { role: 'assistant', content: null }),
        tool_calls: [
          {
            index,
            ...(id === undefined ? {} : { id, type: 'function' }),
            function: { ...(name === undefined ? {} : { name }), arguments: args },
          },
        ],
      },
      finish_reason: null,
    },
  ],
}));
const STREAMED_CHUNKS = [
  ...DELTAS,
  {
    id: 'chatcmpl-corpus',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
  },
];

export const TOOL_CASES: readonly ReplyCase[] = [
  {
    id: 'tool-call-string-arguments',
    description: 'OpenAI: content null, one tool call whose arguments are a JSON string',
    source: SOURCES.openaiTools,
    reply: {
      toolCalls: [{ id: 'call_12345xyz', name: 'run_command', arguments: '{"command":"git status"}' }],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: cmd('git status', 'call_12345xyz'),
  },
  {
    id: 'tool-call-object-arguments',
    description: 'Ollama: one tool call whose arguments are an object, no id',
    source: SOURCES.ollamaApi,
    reply: { content: '', toolCalls: [{ name: 'run_command', arguments: { command: 'npm test' } }] },
    modes: ['tools'],
    expect: cmd('npm test'),
  },
  {
    id: 'tool-call-finish-with-text',
    description: 'a sentence in content beside a finish call: the call is the decision',
    source: SOURCES.openaiTools,
    reply: {
      content: 'All done, the tests pass.',
      toolCalls: [{ id: 'call_fin', name: 'finish', arguments: '{"summary":"Fixed the typo"}' }],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: { decision: { kind: 'done', summary: 'Fixed the typo' }, toolCallId: 'call_fin' },
  },
  {
    id: 'tool-call-help',
    description: 'ask_for_help with object arguments',
    source: SOURCES.ollamaApi,
    reply: { toolCalls: [{ name: 'ask_for_help', arguments: { question: 'Which Node version?' } }] },
    modes: ['tools'],
    expect: { decision: { kind: 'help', question: 'Which Node version?' } },
  },
  {
    id: 'parallel-tool-calls',
    description: 'two tool calls in one reply (parallel_tool_calls): none runs',
    source: SOURCES.openaiTools,
    reply: {
      toolCalls: [
        { id: 'call_a', name: 'run_command', arguments: '{"command":"npm ci"}' },
        { id: 'call_b', name: 'run_command', arguments: '{"command":"npm test"}' },
      ],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: { correction: 'found 2 tool calls (run_command, run_command) and ran none' },
  },
  {
    id: 'tool-call-unknown-name',
    description: 'a tool that was not offered',
    source: SOURCES.openaiTools,
    reply: {
      toolCalls: [{ id: 'call_x', name: 'bash', arguments: '{"command":"ls"}' }],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: { correction: 'unknown tool "bash"' },
  },
  {
    id: 'tool-call-bad-json-arguments',
    description: 'arguments that are not valid JSON (the model may hallucinate them, the guide warns)',
    source: SOURCES.openaiTools,
    reply: {
      toolCalls: [{ id: 'call_y', name: 'run_command', arguments: '{"command": "ls' }],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: { correction: 'the arguments of run_command are not JSON' },
  },
  {
    id: 'tool-call-missing-argument',
    description: 'run_command without a command',
    source: SOURCES.ollamaApi,
    reply: { toolCalls: [{ name: 'run_command', arguments: {} }] },
    modes: ['tools'],
    expect: { correction: 'the arguments of run_command: command' },
  },
  {
    id: 'tool-call-deepseek-reasoning',
    description: 'DeepSeek thinking mode with tools: reasoning_content beside the tool call',
    source: SOURCES.deepseekTools,
    reply: {
      reasoning: 'The user asks to fix a typo; first find it.',
      content: '',
      toolCalls: [{ id: 'call_0_ds', name: 'run_command', arguments: '{"command":"grep -rn recieve ."}' }],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    expect: cmd('grep -rn recieve .', 'call_0_ds'),
  },
  {
    id: 'tool-call-ollama-thinking',
    description: 'Ollama thinking model with tools: message.thinking and an object-argument call',
    source: SOURCES.ollamaThinking,
    reply: {
      reasoning: 'I should look at the README first.',
      toolCalls: [{ name: 'run_command', arguments: { command: 'cat README.md' } }],
    },
    modes: ['tools'],
    expect: cmd('cat README.md'),
  },
  {
    id: 'qwen-hermes-tool-call-as-text',
    description: 'a server that does not parse tool calls: Qwen writes <tool_call> JSON in the text',
    source: SOURCES.qwenFunctionCall,
    reply: {
      content: '<tool_call>\n{"name": "run_command", "arguments": {"command": "ls src"}}\n</tool_call>',
    },
    modes: ['tools', 'text'],
    expect: cmd('ls src'),
  },
  {
    id: 'tool-call-cut-length',
    description: 'a tool call whose arguments were cut at the token limit',
    source: SOURCES.openaiChat,
    reply: {
      toolCalls: [{ id: 'call_cut', name: 'run_command', arguments: '{"command":"sed -i' }],
      finishReason: 'length',
    },
    modes: ['tools'],
    expect: { correction: 'cut at the token limit' },
  },
  {
    id: 'streamed-tool-call-deltas',
    description: 'OpenAI streaming: the tool call arrives as deltas (id and name, then argument pieces)',
    source: SOURCES.openaiTools,
    reply: {
      toolCalls: [
        { id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'run_command', arguments: '{"command":"git log -1"}' },
      ],
      finishReason: 'tool_calls',
    },
    modes: ['tools'],
    wire: { openaiStream: STREAMED_CHUNKS },
    expect: cmd('git log -1', 'call_DdmO9pD3xa9XTPNJ32zg2hcA'),
  },
];
