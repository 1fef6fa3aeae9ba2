/**
 * A task worked by a model (the OpenAI wire format on loopback, answering with native tool
 * calls as a tool-calling model does): a `help` step goes to HMMM,
 * the node's advisor answers with its reasoner's advice, which reaches the asking task's
 * history, and the task ends with its PR. When no useful answer comes in time, the task is
 * escalated: the webhook gets the original's payload and the task's state is `escalated`.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { allTaskRecords, startMainJob, type MainJob } from '../../src/node/main-job.js';
import { decisionAsToolCall, startFakeOpenAi, type FakeLlmServer } from '../fakes/openai-server.js';
import { startFakeWebhook, type FakeWebhook } from '../fakes/webhook-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(llm: FakeLlmServer, webhook: FakeWebhook): Promise<{ job: MainJob; forge: LocalForge }> {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-llm-'));
  chmodSync(dir, 0o755);
  const config = loadConfig({
    env: {
      BZZZ_DATA_DIR: dir,
      BZZZ_HTTP_PORT: '0',
      BZZZ_SANDBOX: 'bwrap',
      BZZZ_LLM: 'openai',
      BZZZ_OPENAI_BASE_URL: `${llm.url}/v1`,
      BZZZ_OPENAI_API_KEY: 'sk-test',
      BZZZ_MODEL: 'fake-model',
      BZZZ_ESCALATION_WEBHOOK: webhook.url,
      BZZZ_HELP_TIMEOUT_MS: '1500',
      // the model's replies are queued for these steps: no plan, no plan review here
      BZZZ_PLAN_REVIEW_MS: '0',
      BZZZ_POLL_INTERVAL_MS: '100',
      BZZZ_NODE_NAME: 'llm',
    },
    cwd: dir,
  });
  const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
  await forge.addTask({ title: 'Write ok.txt', repo: 'demo/llm', body: 'Create ok.txt containing ok.' });
  const job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
  closers.push(() => job.stop());
  return { job, forge };
}

async function outcome(job: MainJob): Promise<string> {
  for (;;) {
    const [record] = await allTaskRecords(job.pipeline);
    if (record !== undefined && ['done', 'failed', 'escalated'].includes(record.state)) return record.state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a task worked by a model', () => {
  it('asks for help, gets the advisor’s answer into its history, and finishes with a PR', async () => {
    const llm = await startFakeOpenAi();
    const webhook = await startFakeWebhook();
    closers.push(
      () => llm.close(),
      () => webhook.close(),
    );
    llm.enqueue(
      decisionAsToolCall({ kind: 'help', question: 'Which command writes a file?' }),
      decisionAsToolCall({ kind: 'done', summary: 'Use printf with a redirect.' }),
      {
        kind: 'reply',
        reply: {
          reasoning: 'A redirect writes the file.',
          toolCalls: [
            { id: 'call_printf', name: 'run_command', arguments: { command: "printf 'ok\\n' > ok.txt" } },
          ],
        },
      },
      decisionAsToolCall({ kind: 'done', summary: 'wrote ok.txt' }),
    );
    const { job, forge } = await setup(llm, webhook);
    const steps: unknown[] = [];
    job.node.system.register('test/progress', (m) => {
      const data = m.data as { step?: unknown; command?: unknown; exitCode?: unknown } | undefined;
      if (m.type === 'task_progress' && data?.step !== undefined)
        steps.push({ number: data.step, command: data.command, exitCode: data.exitCode });
    });
    job.node.system.subscribe('coordination', 'test/progress');
    expect(await outcome(job)).toBe('done');
    expect(steps).toEqual([{ number: 1, command: "printf 'ok\\n' > ok.txt", exitCode: 0 }]);
    for (const request of llm.requests) expect(request.body).toMatchObject({ tool_choice: 'required' });
    // the model is told where it works: a sandbox without network, and what the clone holds
    const first = JSON.stringify(llm.requests[0]?.body ?? {});
    expect(first).toContain('The network is not reachable from the sandbox');
    expect(first).toContain('The repository root holds: README.md.');
    const third = JSON.stringify(llm.requests[2]?.body ?? {});
    expect(third).toContain('Use printf with a redirect.');
    // the step's result answers the model's own tool call, by the id the server gave it
    const fourth = llm.requests[3]?.body as {
      messages: { role: string; tool_call_id?: string; tool_calls?: { id: string }[] }[];
    };
    const call = fourth.messages.find((m) => m.role === 'assistant' && m.tool_calls !== undefined);
    const result = fourth.messages.find((m) => m.role === 'tool');
    expect(call?.tool_calls?.[0]?.id).toBe('call_printf');
    expect(result?.tool_call_id).toBe('call_printf');
    // and the model sees the reasoning it gave for that call
    expect(JSON.stringify(call)).toContain('A redirect writes the file.');
    const [record] = await forge.taskRecords('demo/llm');
    expect(record?.prs).toHaveLength(1);
    expect(webhook.received).toHaveLength(0);
    // both sides recorded in the task's thread: the answer's node follows the request's
    const head = job.pipeline.threads.head('local:demo/llm#1');
    const thread = await job.pipeline.threads.history(head ?? '');
    expect(thread.nodes.map((n) => [n.node.kind, n.node.from.agent])).toEqual([
      ['help_request', 'llm'],
      ['help_response', 'llm-advisor'],
    ]);
  }, 60_000);

  it('escalates to the webhook when no useful answer comes in time', async () => {
    const llm = await startFakeOpenAi();
    const webhook = await startFakeWebhook();
    closers.push(
      () => llm.close(),
      () => webhook.close(),
    );
    llm.enqueue(
      decisionAsToolCall({ kind: 'help', question: 'Is the spec right?' }),
      decisionAsToolCall({ kind: 'help', question: 'I do not know either.' }),
    );
    const { job } = await setup(llm, webhook);
    expect(await outcome(job)).toBe('escalated');
    expect(webhook.received).toHaveLength(1);
    const body = webhook.received[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      task_id: 'local:demo/llm#1',
      task_title: 'Write ok.txt',
      escalation_agent: 'llm',
    });
    expect(String(body.reason)).toContain('Is the spec right?');
    expect(Array.isArray(body.history)).toBe(true);
    const head = job.pipeline.threads.head('local:demo/llm#1');
    const thread = await job.pipeline.threads.history(head ?? '');
    expect(thread.nodes.map((n) => n.node.kind)).toEqual(['help_request', 'escalation']);
  }, 60_000);
});
