/**
 * A loopback webhook receiver (an n8n stand-in): records every POST with its JSON body and
 * answers 200, or whatever was queued: an error status (with `Retry-After`) or no answer.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/lib/index.js';

export type WebhookAnswer = { kind: 'status'; status: number; retryAfter?: string } | { kind: 'hang' };

export interface FakeWebhook {
  readonly url: string;
  readonly received: { headers: IncomingHttpHeaders; body: unknown; at: number }[];
  answer(...answers: WebhookAnswer[]): void;
  close(): Promise<void>;
}

export async function startFakeWebhook(options: { clock?: Clock; port?: number } = {}): Promise<FakeWebhook> {
  const answers: WebhookAnswer[] = [];
  const received: FakeWebhook['received'] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = Buffer.concat(parts).toString('utf8');
      }
      received.push({ headers: req.headers, body, at: options.clock?.now() ?? Date.now() });
      const answer = answers.shift() ?? { kind: 'status', status: 200 };
      if (answer.kind === 'hang') return;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      res
        .writeHead(answer.status, headers)
        .end(JSON.stringify({ message: answer.status < 300 ? 'Workflow was started' : 'error' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook/bzzz-escalation`,
    received,
    answer: (...more) => answers.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
