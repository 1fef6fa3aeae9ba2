import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, runCli, spawnCli } from '../helpers/cli.js';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'bzzz-agent-'));
}

function urlFrom(stderr: string): string | undefined {
  return /"url":"(http:\/\/[^"]+)","msg":"HTTP listening"/.exec(stderr)?.[1];
}

describe('bzzz agent', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    it(`answers ready and metrics, then exits 0 on ${signal}`, async () => {
      const agent = spawnCli(['agent'], { BZZZ_HTTP_PORT: '0', BZZZ_DATA_DIR: dataDir() });
      const url = await eventually(() => urlFrom(agent.output().stderr));
      await eventually(async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined));
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('bzzz_actor_restarts_total');
      const closed = new Promise<void>((resolve) => agent.on('close', () => resolve()));
      agent.kill(signal);
      await closed;
      expect(agent.output().code).toBe(0);
      expect(agent.output().stderr).toContain('"msg":"stopped"');
    });
  }

  it('exits 2 with one line naming the key for a bad value', async () => {
    const result = await runCli(['agent'], { BZZZ_HTTP_PORT: 'abc', BZZZ_DATA_DIR: dataDir() });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/http_port \(BZZZ_HTTP_PORT\)/);
  });

  it('streams inspection events of its actors with --inspect', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const agent = spawnCli(['agent', '--inspect', String(port)], {
      BZZZ_HTTP_PORT: '0',
      BZZZ_DATA_DIR: dataDir(),
    });
    try {
      await eventually(() => urlFrom(agent.output().stderr));
      const events: string[] = [];
      const ws = await eventually(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${port}`);
            socket.on('open', () => resolve(socket));
            socket.on('error', reject);
          }),
      );
      // the bridge keeps only the latest events: look for an actor that keeps working (the poller)
      ws.on('message', (data: Buffer) => events.push(data.toString()));
      // the node opens its sandboxes and workspaces before the work subtree: slow on a loaded machine
      await eventually(
        () => (events.some((e) => e.includes('root/work/poller')) ? true : undefined),
        90_000,
        'an inspection event of the poller',
        () => `${events.length} events; agent stderr: ${agent.output().stderr.slice(-1_000)}`,
      );
      ws.close();
    } finally {
      agent.kill('SIGTERM');
    }
  }, 150_000);
});

describe('bzzz command', () => {
  it('prints help and exits 0; an unknown command exits 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('agent');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exports every machine as JSON and as mermaid', async () => {
    const json = await runCli(['machines', '--format', 'json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Record<string, { id: string }>;
    expect(parsed.service?.id).toBe('service');
    const mermaid = await runCli(['machines', '--format', 'mermaid']);
    expect(mermaid.stdout).toContain('stateDiagram-v2');
    expect(mermaid.stdout).toContain('service_opening --> service_running : done: open');
    const bad = await runCli(['machines', '--format', 'svg']);
    expect(bad.code).toBe(2);
  });

  it('prints the configuration with secrets redacted', async () => {
    const result = await runCli(['config', 'print', '--json'], {
      BZZZ_GITHUB_TOKEN: 'ghp_topsecret',
      BZZZ_CLUSTER: 'c1',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('ghp_topsecret');
    expect(JSON.parse(result.stdout)).toMatchObject({ cluster: 'c1', github_token: '[redacted]' });
  });
});
