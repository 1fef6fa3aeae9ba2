/**
 * `bzzz status`: over HTTP from the local node, over NATS from every node's micro service
 * (answers merged, nonsense left out), and the merge rules on their own.
 */
import { createServer, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/command.js';
import { mergeStatus, statusCommand, type StatusDocument } from '../../src/cli/commands/status.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { startNatsNode, type NatsNode } from './harness.js';

function doc(self: string, nodes: [string, string][], extra: Partial<StatusDocument> = {}): StatusDocument {
  return {
    cluster: 'c1',
    self: { id: self, name: self },
    leader: null,
    nodes: nodes.map(([id, state]) => ({ id, name: id, state, capabilities: [], tasks: 0 })),
    tasks: [],
    ...extra,
  };
}

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const io: CommandIO = {
    argv,
    stdout,
    stderr: new PassThrough(),
    env,
    cwd: process.cwd(),
    debug: false,
    tty: false,
  };
  const code = await statusCommand.run(io);
  return { code, out };
}

describe('merging status answers', () => {
  it('trusts each node about itself and the most pessimistic view of the silent ones', () => {
    const merged = mergeStatus([
      doc(
        'a',
        [
          ['a', 'alive'],
          ['b', 'suspect'],
          ['c', 'alive'],
        ],
        { leader: { node: 'a', term: 2 } },
      ),
      doc(
        'b',
        [
          ['a', 'alive'],
          ['b', 'alive'],
          ['c', 'dead'],
        ],
        {
          leader: { node: 'b', term: 3 },
          tasks: [{ key: 'local:d/a#1', state: 'done', holder: null }],
        },
      ),
    ]);
    expect(merged.nodes.map((n) => [n.id, n.state])).toEqual([
      ['a', 'alive'],
      ['b', 'alive'],
      ['c', 'dead'],
    ]);
    expect(merged.leader).toEqual({ node: 'b', term: 3 });
    expect(merged.tasks).toHaveLength(1);
  });
});

describe('bzzz status', () => {
  let nats: NatsServerHandle;
  let http: Server;
  let port = 0;
  beforeAll(async () => {
    nats = await startNatsServer();
    http = createServer((req, res) => {
      if (req.url !== '/api/v1/status') {
        res.writeHead(404).end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(doc('solo', [['solo', 'alive']])));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as { port: number }).port;
  });
  afterAll(async () => {
    await nats.stop();
    await new Promise((resolve) => http.close(resolve));
  });

  it('asks the local node over HTTP when no NATS is configured', async () => {
    const { code, out } = await run(['--json'], { BZZZ_HTTP_PORT: String(port) });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ cluster: 'c1', self: { name: 'solo' }, nodes: [{ id: 'solo' }] });
    const human = await run([], { BZZZ_HTTP_PORT: String(port) });
    expect(human.out).toContain('solo');
  });

  it('fails with a clear error when nothing answers', async () => {
    await expect(run(['--json', '--timeout', '500'], { BZZZ_HTTP_PORT: '1' })).rejects.toMatchObject({
      name: 'StatusUnavailableError',
    });
    await expect(run(['--timeout', 'soon'], {})).rejects.toMatchObject({ name: 'UsageError' });
  });

  it('merges the answers of every node over NATS, leaving nonsense out', async () => {
    const nodes: NatsNode[] = [];
    const views: Record<string, StatusDocument> = {
      a: doc('a', [
        ['a', 'alive'],
        ['b', 'alive'],
      ]),
      b: doc('b', [
        ['a', 'alive'],
        ['b', 'alive'],
        ['c', 'dead'],
      ]),
    };
    for (const name of ['a', 'b', 'junk']) {
      nodes.push(
        await startNatsNode(nats.url, 'c1', {
          service: {
            name,
            status: () => views[name] ?? { nonsense: true },
            peers: () => [],
            tasks: () => [],
          },
        }),
      );
    }
    try {
      const { code, out } = await run(['--json'], { BZZZ_NATS_URL: nats.url, BZZZ_CLUSTER: 'c1' });
      expect(code).toBe(0);
      const merged = JSON.parse(out) as StatusDocument;
      expect(merged.nodes.map((n) => `${n.id}:${n.state}`)).toEqual(['a:alive', 'b:alive', 'c:dead']);
      await expect(
        run(['--json'], { BZZZ_NATS_URL: nats.url, BZZZ_CLUSTER: 'nobody' }),
      ).rejects.toMatchObject({
        name: 'StatusUnavailableError',
      });
    } finally {
      for (const node of nodes) await node.running.stop();
    }
  });
});
