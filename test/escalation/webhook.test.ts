// The escalation webhook against a loopback receiver that is ok, flaky, rejecting, hung or down.
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEscalationNotifier, type Escalation } from '../../src/adapters/escalation/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { startFakeWebhook, type FakeWebhook } from '../fakes/webhook-server.js';

const escalation: Escalation = {
  taskKey: 'github:octo/app#42',
  taskTitle: 'Make the failing test pass',
  agent: 'node-7',
  reason: 'repeated failure: npm test exited 1 three times',
  history: ['$ npm test -> exit 1', '$ npm test -> exit 1', '$ npm test -> exit 1'],
};

/** Runs `promise` while moving the simulated clock, so backoff and timeouts elapse. */
async function drive<T>(clock: SimulatedClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await clock.advance(500);
  }
  return promise;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('escalation webhook', () => {
  let clock: SimulatedClock;
  let hook: FakeWebhook;
  const notifier = (url: string) =>
    createEscalationNotifier(
      {
        webhookUrl: url,
        headers: { 'x-n8n-secret': 's3cret' },
        requestTimeoutMs: 5_000,
        retry: { maxAttempts: 4, baseDelayMs: 1_000 },
      },
      { clock, logger: silentLogger() },
    );

  beforeEach(async () => {
    clock = new SimulatedClock();
    hook = await startFakeWebhook({ clock });
  });
  afterEach(async () => {
    await hook.close();
  });

  it("POSTs the original's payload and reports delivery", async () => {
    const receipt = await notifier(hook.url).escalate(escalation);
    expect(receipt).toEqual({ delivered: true, status: 200, attempts: 1 });
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body).toEqual({
      task_id: 'github:octo/app#42',
      task_title: 'Make the failing test pass',
      escalation_agent: 'node-7',
      reason: 'repeated failure: npm test exited 1 three times',
      history: escalation.history,
    });
    expect(hook.received[0]!.headers['content-type']).toBe('application/json');
    expect(hook.received[0]!.headers['x-n8n-secret']).toBe('s3cret');
  });

  it('retries a flaky webhook with growing delays until it accepts', async () => {
    hook.answer({ kind: 'status', status: 502 }, { kind: 'status', status: 503 });
    const receipt = await drive(clock, notifier(hook.url).escalate(escalation));
    expect(receipt).toMatchObject({ delivered: true, attempts: 3 });
    const [a, b, c] = hook.received.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(500);
    expect(c! - b!).toBeGreaterThanOrEqual(1_000);
  });

  it('honours Retry-After on a 429', async () => {
    hook.answer({ kind: 'status', status: 429, retryAfter: '20' });
    await drive(clock, notifier(hook.url).escalate(escalation));
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(20_000);
  });

  it('fails at once, with a named error, on a webhook that rejects the payload', async () => {
    hook.answer({ kind: 'status', status: 404 });
    await expect(notifier(hook.url).escalate(escalation)).rejects.toMatchObject({
      name: 'EscalationDeliveryError',
      taskKey: 'github:octo/app#42',
      status: 404,
      attempts: 1,
      retryable: false,
    });
  });

  it('gives up on a webhook that keeps failing, after its retries', async () => {
    const failing = { kind: 'status' as const, status: 500 };
    hook.answer(failing, failing, failing, failing);
    await expect(drive(clock, notifier(hook.url).escalate(escalation))).rejects.toMatchObject({
      name: 'EscalationDeliveryError',
      status: 500,
      attempts: 4,
      retryable: true,
    });
    expect(hook.received).toHaveLength(4);
  });

  it('times out a webhook that never answers', async () => {
    hook.answer({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const error = await drive(clock, notifier(hook.url).escalate(escalation)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EscalationDeliveryError', attempts: 4 });
    expect((error as Error).message).toContain('timed out');
  });

  it('reports a webhook that is down as a named error, not a crash', async () => {
    const url = `http://127.0.0.1:${await deadPort()}/webhook`;
    await expect(drive(clock, notifier(url).escalate(escalation))).rejects.toMatchObject({
      name: 'EscalationDeliveryError',
      attempts: 4,
      status: undefined,
      retryable: true,
    });
  });

  it('delivers once the webhook comes back up during the retries', async () => {
    const port = await deadPort();
    const url = `http://127.0.0.1:${port}/webhook/bzzz-escalation`;
    const pending = notifier(url).escalate(escalation);
    let late: FakeWebhook | undefined;
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; !settled; i++) {
      if (i === 3) late = await startFakeWebhook({ clock, port });
      await new Promise((resolve) => setTimeout(resolve, 2));
      await clock.advance(250);
    }
    try {
      expect(await pending).toMatchObject({ delivered: true });
      expect(late!.received).toHaveLength(1);
    } finally {
      await late?.close();
    }
  });

  it('only logs when no webhook is configured', async () => {
    const quiet = createEscalationNotifier({}, { clock, logger: silentLogger() });
    expect(await quiet.escalate(escalation)).toEqual({ delivered: false, attempts: 0 });
  });
});
