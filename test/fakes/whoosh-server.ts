/**
 * A loopback WHOOSH coordinator speaking the original's bzzz API with a bearer key:
 * `GET /api/bzzz/active-repos`, `GET /api/bzzz/projects/{id}/tasks`,
 * `POST /api/bzzz/projects/{id}/claim` (409 when another agent holds it),
 * `PUT /api/bzzz/projects/{id}/status`. Faults are queued per test: an HTTP status (with
 * `Retry-After`), garbage, a body of the wrong shape, or no answer at all.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/lib/index.js';

export type WhooshFault =
  | { kind: 'status'; status: number; body?: string; retryAfter?: string }
  | { kind: 'garbage' }
  | { kind: 'wrong-shape' }
  | { kind: 'hang' };

export interface WhooshState {
  repositories: Record<string, unknown>[];
  tasks: Record<number, Record<string, unknown>[]>;
  /** `project-task` → agent id. */
  claims: Map<string, string>;
  statuses: { projectId: number; body: Record<string, unknown> }[];
}

export interface FakeWhoosh {
  readonly url: string;
  readonly state: WhooshState;
  readonly requests: { method: string; path: string; authorization: string | undefined; at: number }[];
  fail(...faults: WhooshFault[]): void;
  close(): Promise<void>;
}

export const sampleRepositories = [
  {
    project_id: 1,
    name: 'hive-coordination-platform',
    git_url: 'https://github.com/mock/hive',
    owner: 'mock-org',
    repository: 'hive',
    branch: 'main',
    bzzz_enabled: true,
    ready_to_claim: true,
    private_repo: false,
    github_token_required: false,
  },
  {
    project_id: 2,
    name: 'bzzz-p2p-system',
    git_url: 'https://github.com/mock/bzzz',
    owner: 'mock-org',
    repository: 'bzzz',
    branch: 'develop',
    bzzz_enabled: true,
    ready_to_claim: false,
    private_repo: true,
    github_token_required: true,
  },
];

export const sampleTasks = {
  1: [
    {
      number: 15,
      title: 'Add WebSocket support for real-time coordination',
      description: 'Implement WebSocket endpoints for real-time agent coordination messages',
      state: 'open',
      labels: ['bzzz-task', 'feature'],
      created_at: '2025-01-14T10:00:00Z',
      updated_at: '2025-01-14T10:30:00Z',
      html_url: 'https://github.com/mock/hive/issues/15',
      is_claimed: false,
      assignees: [],
      task_type: 'feature',
      dependencies: [{ repository: 'bzzz', task_number: 23, dependency_type: 'api_contract' }],
    },
    { number: 16, title: 'Implement agent authentication', labels: ['bzzz-task'] },
  ],
  2: [],
};

export async function startFakeWhoosh(options: { apiKey?: string; clock?: Clock } = {}): Promise<FakeWhoosh> {
  const state: WhooshState = {
    repositories: structuredClone(sampleRepositories),
    tasks: structuredClone(sampleTasks),
    claims: new Map(),
    statuses: [],
  };
  const faults: WhooshFault[] = [];
  const requests: FakeWhoosh['requests'] = [];

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      requests.push({
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        at: options.clock?.now() ?? Date.now(),
      });
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const fault = faults.shift();
      if (fault !== undefined) {
        if (fault.kind === 'hang') return;
        if (fault.kind === 'garbage')
          return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops');
        if (fault.kind === 'wrong-shape') return json(200, { repos: 'none', tasks: 42 });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        return void res
          .writeHead(fault.status, headers)
          .end(fault.body ?? JSON.stringify({ error: 'injected fault' }));
      }
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return json(401, { detail: 'Invalid API key' });
      }
      let body: Record<string, unknown>;
      try {
        body =
          parts.length === 0
            ? {}
            : (JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
      } catch {
        return json(400, { error: 'invalid JSON' });
      }
      if (req.method === 'GET' && path === '/api/bzzz/active-repos') {
        return json(200, { repositories: state.repositories });
      }
      const m = /^\/api\/bzzz\/projects\/(\d+)\/(tasks|claim|status)$/.exec(path);
      if (m === null) return json(404, { error: 'not found' });
      const projectId = Number(m[1]);
      if (m[2] === 'tasks' && req.method === 'GET') {
        const tasks = (state.tasks[projectId] ?? []).map((t) => {
          const holder = state.claims.get(`${projectId}-${String(t.number)}`);
          return holder === undefined ? t : { ...t, is_claimed: true, assignees: [holder] };
        });
        return json(200, tasks);
      }
      if (m[2] === 'claim' && req.method === 'POST') {
        const { task_number: taskNumber, agent_id: agentId } = body;
        if (typeof taskNumber !== 'number' || typeof agentId !== 'string') {
          return json(400, { error: 'task_number and agent_id are required' });
        }
        const key = `${projectId}-${taskNumber}`;
        const holder = state.claims.get(key);
        if (holder !== undefined) return json(409, { error: 'Task already claimed', claimed_by: holder });
        state.claims.set(key, agentId);
        return json(200, { success: true, claim_id: `${key}-${agentId}` });
      }
      if (m[2] === 'status' && req.method === 'PUT') {
        if (typeof body.task_number !== 'number' || typeof body.status !== 'string') {
          return json(400, { error: 'task_number and status are required' });
        }
        state.statuses.push({ projectId, body });
        if (body.status === 'completed') state.claims.delete(`${projectId}-${body.task_number}`);
        return json(200, { success: true });
      }
      return json(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    fail: (...more) => faults.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
