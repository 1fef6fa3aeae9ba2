import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { BzzzNode } from '../../src/node/node.js';
import { ExitSignal, type ChildSpec, type ExitReason } from '../../src/supervisor/index.js';

const nodes: BzzzNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

function config(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-node-'));
  return loadConfig({
    env: { BZZZ_HTTP_PORT: '0', BZZZ_DATA_DIR: dir, BZZZ_NODE_NAME: 'n1', ...extra },
    cwd: dir,
  });
}

async function start(extra: Record<string, string> = {}, children: ChildSpec[] = []) {
  const node = await BzzzNode.start(config(extra), { children });
  nodes.push(node);
  return node;
}

describe('node', () => {
  it('keeps its identity across restarts and serves health, status and metrics', async () => {
    const cfg = config();
    const first = await BzzzNode.start(cfg);
    const id = first.nodeId;
    await first.stop();
    const node = await BzzzNode.start(cfg);
    nodes.push(node);
    expect(node.nodeId).toBe(id);
    expect(id).toMatch(/^12D3KooW/);
    const url = node.httpUrl!;
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const status = (await (await fetch(`${url}/api/v1/status`)).json()) as {
      self: { id: string };
      leader: unknown;
      nodes: unknown[];
    };
    expect(status.self.id).toBe(id);
    expect(status.leader).toBeNull();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'bzzz_actor_restarts_total',
      'bzzz_actors{',
      'bzzz_dead_letters_total',
      'bzzz_mailbox_dropped_total',
      'bzzz_process_cpu',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/bzzz_actors\{kind="supervisor"[^}]*\} [1-9]/);
  });

  it('counts a message to an unknown actor as a dead letter on /metrics', async () => {
    const node = await start();
    node.system.send('root/nobody', { type: 'hello' });
    const metrics = await (await fetch(`${node.httpUrl!}/metrics`)).text();
    expect(metrics).toMatch(/bzzz_dead_letters_total\{reason="unknown"[^}]*\} 1/);
  });

  it('counts restarts of a crashing child and fails the root when they exceed the intensity', async () => {
    let starts = 0;
    const crashing: ChildSpec = {
      id: 'crashy',
      start: () => {
        starts++;
        const exit = new ExitSignal();
        setImmediate(() => exit.fire({ kind: 'error', error: new Error('crash') }));
        return { stop: () => Promise.resolve(), kill: () => undefined, onExit: (l) => exit.listen(l) };
      },
    };
    const node = await start({}, [crashing]);
    const exited = new Promise<ExitReason>((resolve) => node.onExit(resolve));
    const reason = await exited;
    expect(reason.kind).toBe('error');
    expect(starts).toBe(4);
    expect(node.root.state).toBe('stopped');
    expect(node.ready().ready).toBe(false);
  });

  it('refuses to start when the HTTP port is taken, saying so', async () => {
    const first = await start();
    const port = new URL(first.httpUrl!).port;
    await expect(BzzzNode.start(config({ BZZZ_HTTP_PORT: port }))).rejects.toThrow(
      /HTTP port \d+ is already in use/,
    );
  });
});
