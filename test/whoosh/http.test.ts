// The WHOOSH client against a loopback coordinator speaking the original's bzzz API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWhooshClient, type WhooshClient } from '../../src/adapters/whoosh/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { startFakeWhoosh, type FakeWhoosh } from '../fakes/whoosh-server.js';

/** Runs `promise` while moving the simulated clock, so backoff and timeouts elapse. */
async function drive<T>(clock: SimulatedClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await clock.advance(250);
  }
  return promise;
}

describe('WHOOSH client', () => {
  let clock: SimulatedClock;
  let server: FakeWhoosh;
  let client: WhooshClient;

  beforeEach(async () => {
    clock = new SimulatedClock();
    server = await startFakeWhoosh({ apiKey: 'whoosh-key', clock });
    client = createWhooshClient(
      {
        url: `${server.url}/`,
        apiKey: 'whoosh-key',
        requestTimeoutMs: 5_000,
        retry: { maxAttempts: 3, baseDelayMs: 100 },
      },
      { clock, logger: silentLogger() },
    );
  });
  afterEach(async () => {
    await server.close();
  });

  it('lists the active repositories with the bearer key', async () => {
    const repos = await client.activeRepos();
    expect(repos).toEqual([
      expect.objectContaining({
        projectId: 1,
        owner: 'mock-org',
        repository: 'hive',
        branch: 'main',
        readyToClaim: true,
      }),
      expect.objectContaining({ projectId: 2, repository: 'bzzz', branch: 'develop', privateRepo: true }),
    ]);
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/bzzz/active-repos',
      authorization: 'Bearer whoosh-key',
    });
  });

  it("lists a project's tasks, filling defaults the way the original did", async () => {
    const tasks = await client.projectTasks(1);
    expect(tasks[0]).toMatchObject({
      number: 15,
      labels: ['bzzz-task', 'feature'],
      isClaimed: false,
      dependencies: [{ repository: 'bzzz', taskNumber: 23, dependencyType: 'api_contract' }],
    });
    expect(tasks[1]).toMatchObject({
      number: 16,
      description: '',
      state: 'open',
      assignees: [],
      isClaimed: false,
    });
    expect(await client.projectTasks(2)).toEqual([]);
  });

  it('registers a claim once; another agent gets the holder back', async () => {
    expect(await client.claimTask(1, 15, 'agent-a')).toMatchObject({
      claimed: true,
      claimId: '1-15-agent-a',
    });
    expect(await client.claimTask(1, 15, 'agent-b')).toEqual({ claimed: false, claimedBy: 'agent-a' });
    // A retried POST that already landed is not a conflict for its own agent.
    expect(await client.claimTask(1, 15, 'agent-a')).toMatchObject({ claimed: true });
    expect((await client.projectTasks(1))[0]).toMatchObject({ isClaimed: true, assignees: ['agent-a'] });
  });

  it('reports a status with the task number and results', async () => {
    await client.claimTask(1, 16, 'agent-a');
    await client.updateStatus(1, 16, 'completed', { pr: 'https://example/pr/1' });
    expect(server.state.statuses).toHaveLength(1);
    expect(server.state.statuses[0]).toMatchObject({
      projectId: 1,
      body: { task_number: 16, status: 'completed', results: { pr: 'https://example/pr/1' } },
    });
    expect(server.state.claims.size).toBe(0);
  });

  it('fails at once on a wrong key, naming the status', async () => {
    const stranger = createWhooshClient(
      { url: server.url, apiKey: 'wrong' },
      { clock, logger: silentLogger() },
    );
    await expect(stranger.activeRepos()).rejects.toMatchObject({
      name: 'WhooshHttpError',
      status: 401,
      retryable: false,
      serverMessage: 'Invalid API key',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503 after Retry-After, then succeeds', async () => {
    server.fail({ kind: 'status', status: 503, retryAfter: '3' });
    const repos = await drive(clock, client.activeRepos());
    expect(repos).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(3_000);
  });

  it('gives up on a server that keeps failing', async () => {
    server.fail(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 500 },
    );
    await expect(drive(clock, client.projectTasks(1))).rejects.toMatchObject({
      name: 'WhooshHttpError',
      status: 500,
    });
    expect(server.requests).toHaveLength(3);
  });

  it('names garbage and bodies of the wrong shape', async () => {
    server.fail({ kind: 'garbage' });
    await expect(client.activeRepos()).rejects.toMatchObject({ name: 'WhooshResponseError' });
    server.fail({ kind: 'wrong-shape' });
    await expect(client.activeRepos()).rejects.toMatchObject({ name: 'WhooshResponseError' });
    server.fail({ kind: 'wrong-shape' });
    await expect(client.projectTasks(1)).rejects.toMatchObject({ name: 'WhooshResponseError' });
  });

  it('times a hung server out and reports it unavailable after retries', async () => {
    server.fail({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    await expect(drive(clock, client.activeRepos())).rejects.toMatchObject({
      name: 'WhooshUnavailableError',
      retryable: true,
    });
    expect(server.requests).toHaveLength(3);
  });

  it('reports a server that is down as unavailable', async () => {
    await server.close();
    await expect(drive(clock, client.activeRepos())).rejects.toMatchObject({
      name: 'WhooshUnavailableError',
    });
  });
});
