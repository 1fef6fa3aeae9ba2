/**
 * Compliance suites of the reasoner port. `reasonerCompliance` runs against every backend
 * (scripted, Ollama, OpenAI): steps in order then `done`, abort, and the per-task guard.
 * `remoteReasonerCompliance` runs against the model-backed ones with a loopback fake server:
 * wire formats streaming and not, usage, the strict reply parser with bounded re-asks, and
 * every fault a server can throw (garbage, empty, endless, truncated, 429 with Retry-After,
 * 5xx, 4xx, down, hung). Time is a simulated clock, driven forward while real I/O runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createReasonerGuard,
  type ChatReasonerOptions,
  type HistoryEntry,
  type Reasoner,
  type ReasonerTask,
} from '../../src/adapters/llm/index.js';
import type { SimulatedClock } from '../../src/lib/index.js';
import type { FakeLlmServer } from '../fakes/ollama-server.js';

export interface ReasonerHarness {
  reasoner: Reasoner;
  clock: SimulatedClock;
  /** Arranges for the next calls to propose `commands` in order, then `done`; returns the task. */
  script(commands: string[]): ReasonerTask;
  close(): Promise<void>;
}

const ok = (command: string): HistoryEntry => ({
  kind: 'command',
  command,
  exitCode: 0,
  stdout: 'ok\n',
  stderr: '',
});
const failed = (command: string): HistoryEntry => ({
  kind: 'command',
  command,
  exitCode: 1,
  stdout: '',
  stderr: 'npm ERR! missing script: tset\n',
});

async function nameOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

export function reasonerCompliance(name: string, factory: () => Promise<ReasonerHarness>): void {
  describe(`reasoner compliance: ${name}`, () => {
    let h: ReasonerHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it('proposes the commands in order as the history grows, then done', async () => {
      const commands = ['echo hello > greeting.txt', 'git status --short', 'npm test'];
      const task = h.script(commands);
      const history: HistoryEntry[] = [];
      for (const command of commands) {
        const step = await h.reasoner.next({ task, history });
        expect(step.decision).toEqual({ kind: 'command', command });
        expect(Number.isInteger(step.usage.inputTokens) && step.usage.inputTokens >= 0).toBe(true);
        expect(Number.isInteger(step.usage.outputTokens) && step.usage.outputTokens >= 0).toBe(true);
        expect(step.model).toBe(h.reasoner.model);
        history.push(ok(command));
      }
      const last = await h.reasoner.next({ task, history });
      expect(last.decision.kind).toBe('done');
      expect(last.decision.kind === 'done' && last.decision.summary.length > 0).toBe(true);
    });

    it('refuses to start a step whose signal is already aborted', async () => {
      const task = h.script(['true']);
      const controller = new AbortController();
      controller.abort();
      expect(await nameOf(h.reasoner.next({ task, history: [], signal: controller.signal }))).toBe(
        'ReasonerAbortedError',
      );
    });

    it('guard: a command past the step limit exceeds the budget', async () => {
      const task = h.script(['echo 1', 'echo 2', 'echo 3']);
      const guarded = createReasonerGuard(h.reasoner, { maxSteps: 2 }, { clock: h.clock });
      const history: HistoryEntry[] = [];
      for (const command of ['echo 1', 'echo 2']) {
        const step = await guarded.next({ task, history });
        expect(step.decision).toEqual({ kind: 'command', command });
        history.push(ok(command));
      }
      await expect(guarded.next({ task, history })).rejects.toMatchObject({
        name: 'BudgetExceededError',
        limit: 'steps',
      });
      expect(guarded.spent().calls).toBe(3);
    });

    it('guard: the wall-time limit counts from the task start on the clock', async () => {
      const task = h.script(['echo 1', 'echo 2']);
      const guarded = createReasonerGuard(h.reasoner, { wallTimeMs: 60_000 }, { clock: h.clock });
      await guarded.next({ task, history: [] });
      await h.clock.advance(60_000);
      await expect(guarded.next({ task, history: [ok('echo 1')] })).rejects.toMatchObject({
        name: 'BudgetExceededError',
        limit: 'wall-time',
      });
    });

    it('guard: the same command failing the same way three times escalates', async () => {
      const task = h.script(['npm run tset']);
      const guarded = createReasonerGuard(h.reasoner, {}, { clock: h.clock });
      const history = [failed('npm run tset'), ok('ls'), failed('npm run tset'), failed('npm run tset')];
      await expect(guarded.next({ task, history })).rejects.toMatchObject({
        name: 'RepeatedFailureError',
        command: 'npm run tset',
        count: 3,
      });
    });
  });
}

/** What a model-backed reasoner's test file provides. */
export interface RemoteReasonerHarness {
  reasoner: Reasoner;
  clock: SimulatedClock;
  server: FakeLlmServer;
  close(): Promise<void>;
}

/** Options the suite sets; the factory adds what its backend needs (URL, key). */
export type RemoteOptions = Omit<ChatReasonerOptions, 'model'> & { model: string; stream: boolean };

const TASK: ReasonerTask = {
  key: 'local:demo/app#7',
  title: 'Fix the typo in README',
  body: 'The README says "recieve". Fix it.',
};

const reply = (decision: object) => ({ kind: 'text' as const, text: JSON.stringify(decision) });
const COMMAND = reply({ action: 'command', command: "sed -i 's/recieve/receive/' README.md" });

/** Runs `promise` while moving the simulated clock forward, so backoff and timeouts elapse. */
async function drive<T>(clock: SimulatedClock, promise: Promise<T>, stepMs = 250): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await clock.advance(stepMs);
  }
  return promise;
}

export function remoteReasonerCompliance(
  name: string,
  factory: (options: RemoteOptions) => Promise<RemoteReasonerHarness>,
): void {
  for (const stream of [true, false]) {
    describe(`remote reasoner compliance: ${name} (${stream ? 'streaming' : 'one reply'})`, () => {
      let h: RemoteReasonerHarness;
      const base: RemoteOptions = {
        model: 'test-model',
        stream,
        maxBadReplies: 2,
        maxReplyBytes: 16 * 1024,
        requestTimeoutMs: 60_000,
        retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2_000, maxRetryAfterMs: 60_000 },
      };
      const start = async (overrides: Partial<RemoteOptions> = {}) => {
        await h.close();
        h = await factory({ ...base, ...overrides });
      };
      beforeEach(async () => {
        h = await factory(base);
      });
      afterEach(async () => {
        await h.close();
      });

      it('sends the model, the format rules and the task, and reads the decision', async () => {
        h.server.enqueue(COMMAND);
        const step = await h.reasoner.next({ task: TASK, history: [ok('cat README.md')] });
        expect(step.decision).toEqual({ kind: 'command', command: "sed -i 's/recieve/receive/' README.md" });
        const body = h.server.chatRequests[0]!.body as {
          model: string;
          messages: { role: string; content: string }[];
        };
        expect(body.model).toBe('test-model');
        expect(body.messages[0]!.role).toBe('system');
        // the format rules of the mode the model answers in: tools first
        expect(body.messages[0]!.content).toContain('calling exactly one tool');
        expect(body.messages[0]!.content).toContain('run_command');
        expect(
          body.messages.some((m) => m.content.includes(TASK.title) && m.content.includes('recieve')),
        ).toBe(true);
        // the observation of the step before: a tool result in tools mode, a user message in text
        expect(
          body.messages.some(
            (m) => (m.role === 'user' || m.role === 'tool') && m.content.includes('exit code 0'),
          ),
        ).toBe(true);
      });

      it('parses done and help, fenced or not', async () => {
        h.server.enqueue(
          { kind: 'text', text: '```json\n{"action":"done","summary":"fixed the typo"}\n```' },
          reply({ action: 'help', question: 'which README?', thought: 'there are two' }),
        );
        expect((await h.reasoner.next({ task: TASK, history: [] })).decision).toEqual({
          kind: 'done',
          summary: 'fixed the typo',
        });
        expect((await h.reasoner.next({ task: TASK, history: [] })).decision).toEqual({
          kind: 'help',
          question: 'which README?',
        });
      });

      it('reports the usage the server counted, or an estimate when it sent none', async () => {
        h.server.enqueue({ ...COMMAND, usage: { input: 321, output: 17 } }, { ...COMMAND, omitUsage: true });
        const counted = await h.reasoner.next({ task: TASK, history: [] });
        expect(counted.usage).toEqual({ inputTokens: 321, outputTokens: 17 });
        const estimated = await h.reasoner.next({ task: TASK, history: [] });
        expect(estimated.usage.estimated).toBe(true);
        expect(estimated.usage.inputTokens).toBeGreaterThan(0);
        expect(estimated.usage.outputTokens).toBeGreaterThan(0);
      });

      it('asks again after an unusable reply, telling the model what was wrong', async () => {
        h.server.enqueue(
          { kind: 'text', text: 'Sure! I would run sed on the README.', usage: { input: 100, output: 10 } },
          { ...COMMAND, usage: { input: 120, output: 12 } },
        );
        const step = await h.reasoner.next({ task: TASK, history: [] });
        expect(step.decision.kind).toBe('command');
        expect(step.usage).toEqual({ inputTokens: 220, outputTokens: 22 });
        const second = h.server.chatRequests[1]!.body as { messages: { role: string; content: string }[] };
        expect(second.messages.at(-2)).toEqual({
          role: 'assistant',
          content: 'Sure! I would run sed on the README.',
        });
        expect(second.messages.at(-1)!.content).toContain('could not be used');
      });

      it('gives up on a model that keeps answering garbage, after a bounded number of asks', async () => {
        h.server.enqueue(
          { kind: 'text', text: 'rm -rf /' },
          reply({ action: 'command' }),
          reply({ action: 'launch', target: 'moon' }),
          COMMAND,
        );
        await expect(h.reasoner.next({ task: TASK, history: [] })).rejects.toMatchObject({
          name: 'ReplyParseError',
          attempts: 3,
        });
        expect(h.server.chatRequests).toHaveLength(3);
      });

      it('treats an empty reply as unusable', async () => {
        h.server.enqueue({ kind: 'text', text: '' }, COMMAND);
        expect((await h.reasoner.next({ task: TASK, history: [] })).decision.kind).toBe('command');
        h.server.enqueue(
          { kind: 'text', text: '' },
          { kind: 'text', text: '  \n' },
          { kind: 'text', text: '' },
        );
        expect(await nameOf(h.reasoner.next({ task: TASK, history: [] }))).toBe('EmptyReplyError');
      });

      it('rejects bytes that are not the wire format', async () => {
        h.server.enqueue({ kind: 'garbage' }, COMMAND);
        expect((await h.reasoner.next({ task: TASK, history: [] })).decision.kind).toBe('command');
        h.server.enqueue({ kind: 'garbage' }, { kind: 'garbage' }, { kind: 'garbage' });
        expect(await nameOf(h.reasoner.next({ task: TASK, history: [] }))).toBe('LlmProtocolError');
      });

      it('treats a server error inside a 200 reply as a broken reply, and asks again', async () => {
        h.server.enqueue({ kind: 'midstream-error', message: 'model runner crashed' }, COMMAND);
        expect((await h.reasoner.next({ task: TASK, history: [] })).decision.kind).toBe('command');
        const broken = { kind: 'midstream-error' as const, message: 'model runner crashed' };
        h.server.enqueue(broken, broken, broken);
        const error = await h.reasoner.next({ task: TASK, history: [] }).catch((e: unknown) => e as Error);
        expect(error).toMatchObject({ name: 'LlmProtocolError' });
      });

      it('rejects a reply cut short', async () => {
        h.server.enqueue({ kind: 'truncated' }, { kind: 'truncated' }, { kind: 'truncated' });
        expect(await nameOf(h.reasoner.next({ task: TASK, history: [] }))).toBe('LlmProtocolError');
      });

      it('cuts an endless stream off at the byte limit and hangs up', async () => {
        h.server.enqueue({ kind: 'endless' }, { kind: 'endless' }, { kind: 'endless' });
        await expect(h.reasoner.next({ task: TASK, history: [] })).rejects.toMatchObject({
          name: 'LlmReplyLimitError',
          maxBytes: 16 * 1024,
        });
        while (h.server.cutStreams < 3) await new Promise((resolve) => setTimeout(resolve, 5));
        expect(h.server.cutStreams).toBe(3);
      });

      it('waits as long as Retry-After says after a 429, then succeeds', async () => {
        h.server.enqueue({ kind: 'error', status: 429, message: 'slow down', retryAfter: '7' }, COMMAND);
        const step = await drive(h.clock, h.reasoner.next({ task: TASK, history: [] }));
        expect(step.decision.kind).toBe('command');
        const [first, second] = h.server.chatRequests;
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(7_000);
      });

      it('backs off and retries a 5xx, then succeeds', async () => {
        h.server.enqueue({ kind: 'error', status: 503, message: 'loading model' }, COMMAND);
        const step = await drive(h.clock, h.reasoner.next({ task: TASK, history: [] }));
        expect(step.decision.kind).toBe('command');
        expect(h.server.chatRequests[1]!.at).toBeGreaterThan(h.server.chatRequests[0]!.at);
      });

      it('gives up on a server that keeps failing, with its message', async () => {
        const failure = { kind: 'error' as const, status: 500, message: 'CUDA out of memory' };
        h.server.enqueue(failure, failure, failure, COMMAND);
        await expect(drive(h.clock, h.reasoner.next({ task: TASK, history: [] }))).rejects.toMatchObject({
          name: 'LlmHttpError',
          status: 500,
          retryable: true,
          serverMessage: 'CUDA out of memory',
        });
        expect(h.server.chatRequests).toHaveLength(3);
      });

      it('does not retry a client error', async () => {
        h.server.enqueue({ kind: 'error', status: 404, message: 'model "test-model" not found' }, COMMAND);
        await expect(h.reasoner.next({ task: TASK, history: [] })).rejects.toMatchObject({
          name: 'LlmHttpError',
          status: 404,
          retryable: false,
        });
        expect(h.server.chatRequests).toHaveLength(1);
      });

      it('reports a server that is down as unavailable after its retries', async () => {
        await h.server.close();
        await expect(drive(h.clock, h.reasoner.next({ task: TASK, history: [] }))).rejects.toMatchObject({
          name: 'LlmUnavailableError',
          retryable: true,
        });
      });

      it('times a hung server out on the clock', async () => {
        await start({ requestTimeoutMs: 5_000 });
        h.server.enqueue({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
        expect(await nameOf(drive(h.clock, h.reasoner.next({ task: TASK, history: [] })))).toBe(
          'LlmTimeoutError',
        );
        expect(h.server.chatRequests).toHaveLength(3);
      });

      it('stops a call in flight when its signal aborts', async () => {
        h.server.enqueue({ kind: 'hang' });
        const controller = new AbortController();
        const pending = h.reasoner.next({ task: TASK, history: [], signal: controller.signal });
        await h.server.waitForRequests(1);
        controller.abort();
        expect(await nameOf(pending)).toBe('ReasonerAbortedError');
      });

      it('guard: the token budget and the cost are counted from the server usage', async () => {
        h.server.enqueue(
          { ...COMMAND, usage: { input: 1000, output: 500 } },
          { ...COMMAND, usage: { input: 1000, output: 500 } },
        );
        const guarded = createReasonerGuard(
          h.reasoner,
          { maxTokens: 2_000, prices: { 'test-model': { inputPer1k: 0.5, outputPer1k: 1.5 } } },
          { clock: h.clock },
        );
        await guarded.next({ task: TASK, history: [] });
        expect(guarded.spent()).toMatchObject({ inputTokens: 1000, outputTokens: 500, cost: 1.25 });
        await expect(guarded.next({ task: TASK, history: [] })).rejects.toMatchObject({
          name: 'BudgetExceededError',
          limit: 'tokens',
        });
      });

      it('guard: the cost budget stops a task', async () => {
        h.server.enqueue({ ...COMMAND, usage: { input: 4000, output: 1000 } });
        const guarded = createReasonerGuard(
          h.reasoner,
          { maxCost: 1, prices: { 'test-model': { inputPer1k: 0.2, outputPer1k: 0.4 } } },
          { clock: h.clock },
        );
        await expect(guarded.next({ task: TASK, history: [] })).rejects.toMatchObject({
          name: 'BudgetExceededError',
          limit: 'cost',
        });
      });

      it('guard: the wall-time limit aborts a call in flight', async () => {
        h.server.enqueue({ kind: 'hang' });
        const guarded = createReasonerGuard(h.reasoner, { wallTimeMs: 3_000 }, { clock: h.clock });
        const outcome = guarded.next({ task: TASK, history: [] }).catch((error: unknown) => error);
        await h.server.waitForRequests(1);
        await h.clock.advance(3_000);
        expect(await outcome).toMatchObject({ name: 'BudgetExceededError', limit: 'wall-time' });
      });
    });
  }
}
