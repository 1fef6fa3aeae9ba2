// Text and schema replies: JSON objects plain, in prose, fenced; reasoning in tags and fields; bash blocks.
import { SOURCES } from './sources.js';
import type { ReplyCase } from './types.js';

const CMD = { action: 'command', command: "sed -i 's/recieve/receive/' README.md" };
const SED = { kind: 'command', command: "sed -i 's/recieve/receive/' README.md" } as const;
const cmd = (command: string) => ({ decision: { kind: 'command', command } as const });

export const TEXT_CASES: readonly ReplyCase[] = [
  {
    id: 'plain-json-command',
    description: 'exactly one JSON object, as asked',
    source: SOURCES.openaiChat,
    reply: { content: JSON.stringify(CMD) },
    expect: { decision: SED },
  },
  {
    id: 'plain-json-done',
    description: 'done with a summary, surrounded by whitespace',
    source: SOURCES.openaiChat,
    reply: { content: '\n  {"action":"done","summary":"Fixed the typo in README.md"}\n' },
    expect: { decision: { kind: 'done', summary: 'Fixed the typo in README.md' } },
  },
  {
    id: 'plain-json-help',
    description: 'help with a question',
    source: SOURCES.openaiChat,
    reply: { content: '{"action": "help", "question": "Which of the two READMEs is meant?"}' },
    expect: { decision: { kind: 'help', question: 'Which of the two READMEs is meant?' } },
  },
  {
    id: 'schema-json-with-thought',
    description: 'a structured-output reply filling the thought field and every other field of the schema',
    source: SOURCES.ollamaStructured,
    reply: {
      content: JSON.stringify({
        thought: 'The tests pass now.',
        action: 'done',
        command: '',
        summary: 'Renamed the helper and fixed its tests',
        question: '',
      }),
    },
    expect: { decision: { kind: 'done', summary: 'Renamed the helper and fixed its tests' } },
  },
  {
    id: 'prose-wrapped-json',
    description: 'a sentence before and after the object',
    source: SOURCES.openaiChat,
    reply: {
      content: `Let me fix the spelling first.\n${JSON.stringify(CMD)}\nThis replaces every occurrence.`,
    },
    modes: ['text', 'tools'],
    expect: { decision: SED },
  },
  {
    id: 'fenced-json-after-prose',
    description: 'a sentence, then a ```json block',
    source: SOURCES.openaiChat,
    reply: {
      content: `I'll run the test suite:\n\n\`\`\`json\n{"action":"command","command":"npm test"}\n\`\`\``,
    },
    modes: ['text', 'tools'],
    expect: cmd('npm test'),
  },
  {
    id: 'fenced-untagged-json',
    description: 'a fence without a language holding the object',
    source: SOURCES.openaiChat,
    reply: { content: '```\n{"action":"command","command":"git status --short"}\n```' },
    modes: ['text', 'tools'],
    expect: cmd('git status --short'),
  },
  {
    id: 'trailing-explanation',
    description: 'the object, then a paragraph explaining it',
    source: SOURCES.openaiChat,
    reply: {
      content:
        '{"action":"command","command":"ls -la"}\n\nThis lists every file, hidden ones included, so I can see the layout.',
    },
    modes: ['text', 'tools'],
    expect: cmd('ls -la'),
  },
  {
    id: 'json-inline-code',
    description: 'the object inside inline backticks in a sentence',
    source: SOURCES.openaiChat,
    reply: { content: 'Next step: `{"action":"command","command":"make build"}`.' },
    modes: ['text', 'tools'],
    expect: cmd('make build'),
  },
  {
    id: 'json-braces-in-strings',
    description: 'a command with braces and escaped quotes inside the JSON string',
    source: SOURCES.openaiChat,
    reply: {
      content: 'Here: {"action":"command","command":"awk \'{print $1}\' data.txt | grep \\"x}\\""}',
    },
    modes: ['text', 'tools'],
    expect: cmd('awk \'{print $1}\' data.txt | grep "x}"'),
  },
  {
    id: 'think-tags-deepseek-r1',
    description: 'a <think> section (holding a decoy decision) before the answer, as DeepSeek-R1 writes',
    source: SOURCES.deepseekR1Card,
    reply: {
      content:
        '<think>\nThe README has a typo. I could answer {"action":"done","summary":"nothing"} but I have not fixed it yet.\n</think>\n\n' +
        JSON.stringify(CMD),
    },
    expect: { decision: SED },
  },
  {
    id: 'think-close-only-qwen3',
    description: 'the template opened <think>: the reply holds the reasoning, </think>, then a fenced answer',
    source: SOURCES.qwen3Card,
    reply: {
      content:
        'Okay, the user wants the tests run. ```bash\nrm -rf /\n``` would be wrong.\n</think>\n\n```json\n{"action":"command","command":"npm test"}\n```',
    },
    modes: ['text', 'tools'],
    expect: cmd('npm test'),
  },
  {
    id: 'thinking-tags',
    description: 'a <thinking> section before a bash block',
    source: SOURCES.qwen3Card,
    reply: { content: '<thinking>List first.</thinking>\n```bash\nls\n```' },
    modes: ['text', 'tools'],
    expect: cmd('ls'),
  },
  {
    id: 'reasoning-content-deepseek',
    description: 'DeepSeek reasoner: reasoning_content apart, the answer in content',
    source: SOURCES.deepseekReasoner,
    reply: {
      reasoning:
        'The typo is in README.md line 3. A sed in place will do. {"action":"help","question":"decoy"}',
      content: JSON.stringify(CMD),
    },
    expect: { decision: SED },
  },
  {
    id: 'thinking-field-ollama',
    description: 'Ollama with think: true: message.thinking apart, the answer in content',
    source: SOURCES.ollamaThinking,
    reply: {
      reasoning: 'All tests passed, the change is complete.',
      content: '{"action":"done","summary":"Fixed the typo"}',
    },
    expect: { decision: { kind: 'done', summary: 'Fixed the typo' } },
  },
  {
    id: 'reasoning-only',
    description: 'the decision only in the reasoning field, the content empty',
    source: SOURCES.deepseekReasoner,
    reply: { reasoning: 'I will answer {"action":"command","command":"ls"}', content: '' },
    expect: { correction: 'held reasoning but no decision' },
  },
  {
    id: 'think-unclosed-cut',
    description: 'a <think> section cut at the token limit',
    source: SOURCES.deepseekR1Card,
    reply: { content: '<think>\nLet me consider every file in turn. First', finishReason: 'length' },
    expect: { correction: 'cut at the token limit' },
  },
  {
    id: 'bash-fence',
    description: 'one ```bash block after a sentence, as mini-swe-agent asks',
    source: SOURCES.miniSweAgent,
    reply: { content: 'THOUGHT: I need to see the failing test.\n\n```bash\nnpm test -- --run util\n```' },
    modes: ['text', 'tools'],
    expect: cmd('npm test -- --run util'),
  },
  {
    id: 'sh-fence',
    description: 'one ```sh block',
    source: SOURCES.miniSweAgent,
    reply: { content: '```sh\ngit diff --stat\n```' },
    modes: ['text', 'tools'],
    expect: cmd('git diff --stat'),
  },
  {
    id: 'bash-fence-multiline',
    description: 'a bash block of several lines: one command, run whole as a script',
    source: SOURCES.miniSweAgent,
    reply: { content: '```bash\ncd src\ngrep -rn recieve .\n```' },
    modes: ['text', 'tools'],
    expect: cmd('cd src\ngrep -rn recieve .'),
  },
  {
    id: 'bash-fence-with-json-inside',
    description: 'a bash block writing JSON: the JSON is part of the command, not a second decision',
    source: SOURCES.miniSweAgent,
    reply: { content: '```bash\necho \'{"action":"done","summary":"x"}\' > fixture.json\n```' },
    modes: ['text', 'tools'],
    expect: cmd('echo \'{"action":"done","summary":"x"}\' > fixture.json'),
  },
  {
    id: 'two-bash-blocks',
    description: 'two bash blocks: ambiguous, nothing runs',
    source: SOURCES.miniSweAgent,
    reply: { content: 'First:\n```bash\nnpm ci\n```\nthen:\n```bash\nnpm test\n```' },
    modes: ['text', 'tools'],
    expect: { correction: 'found 2 bash blocks and ran none' },
  },
  {
    id: 'json-and-bash',
    description: 'a JSON object and a bash block: ambiguous, nothing runs',
    source: SOURCES.miniSweAgent,
    reply: { content: '{"action":"command","command":"ls"}\nor maybe\n```bash\nls -la\n```' },
    modes: ['text', 'tools'],
    expect: { correction: 'found 1 bash block and 1 JSON object' },
  },
  {
    id: 'two-json-objects',
    description: 'two decisions back to back',
    source: SOURCES.openaiChat,
    reply: { content: '{"action":"command","command":"ls"}\n{"action":"done","summary":"listed"}' },
    modes: ['text', 'tools'],
    expect: { correction: 'found 2 JSON objects' },
  },
  {
    id: 'python-block-only',
    description: 'a python block, which is no decision',
    source: SOURCES.openaiChat,
    reply: { content: 'You can fix it with:\n```python\nprint("hello")\n```' },
    modes: ['text', 'tools'],
    expect: { correction: 'found no decision in your reply (found a python block)' },
  },
  {
    id: 'prose-only',
    description: 'a plan in prose without any decision',
    source: SOURCES.openaiChat,
    reply: { content: 'Sure! I would run sed on the README to fix the typo.' },
    modes: ['text', 'tools'],
    expect: { correction: 'found no decision' },
  },
  {
    id: 'empty-content',
    description: 'an empty message',
    source: SOURCES.openaiChat,
    reply: { content: '' },
    expect: { correction: 'your reply was empty' },
  },
  {
    id: 'json-missing-field',
    description: 'a command decision without its command',
    source: SOURCES.openaiChat,
    reply: { content: '{"action":"command"}' },
    expect: { correction: 'your JSON object could not be used: command' },
  },
  {
    id: 'json-unknown-action',
    description: 'an action that is none of the three',
    source: SOURCES.openaiChat,
    reply: { content: '{"action":"deploy","target":"prod"}' },
    expect: { correction: 'your JSON object could not be used: action' },
  },
  {
    id: 'broken-json-fence',
    description: 'a ```json block that does not parse',
    source: SOURCES.openaiChat,
    reply: { content: '```json\n{"action": "command", "command": "ls",}\n```' },
    modes: ['text', 'tools'],
    expect: { correction: 'not valid JSON' },
  },
  {
    id: 'truncated-json-length',
    description: 'a reply cut at the token limit in the middle of the object',
    source: SOURCES.openaiChat,
    reply: { content: '{"action":"command","command":"sed -i \'s/rec', finishReason: 'length' },
    expect: { correction: 'cut at the token limit; answer shorter' },
  },
  {
    id: 'complete-json-but-length',
    description: 'a whole object, yet finish_reason length: asked again, never parsed',
    source: SOURCES.openaiChat,
    reply: { content: '{"action":"done","summary":"Fixed"}', finishReason: 'length' },
    expect: { correction: 'cut at the token limit' },
  },
  {
    id: 'refusal-field-openai',
    description: 'OpenAI structured outputs: message.refusal set, content null',
    source: SOURCES.openaiStructured,
    reply: { refusal: "I'm sorry, I cannot assist with that request." },
    expect: { correction: "you refused: I'm sorry, I cannot assist with that request." },
  },
  {
    id: 'content-filter',
    description: 'finish_reason content_filter with no content',
    source: SOURCES.openaiChat,
    reply: { content: '', finishReason: 'content_filter' },
    expect: { correction: 'the server filtered your reply' },
  },
];
