/**
 * A process of the proxy benchmark (run with `node --import tsx`), so that the upstream, the
 * proxy and the client each have an event loop of their own, as they would in production:
 * `upstream` serves the loopback OpenAI-compatible upstream; `proxy UPSTREAM_URL KEY DIR`
 * runs the proxy (keys file and usage database in DIR, limits in memory) in front of it;
 * `bare UPSTREAM_URL KEY` is a bare `node:http` pass-through (no keys, limits, accounting),
 * the cost of one more process hop alone. Prints its base URL on stdout once it listens
 * (the upstream: its URL and key); stops on SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LocalUsageSink, openProxy } from '../src/adapters/proxy/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import { startFakeUpstream } from '../test/proxy/upstream.js';

const [role, upstreamUrl, key, dir] = process.argv.slice(2) as [string, string?, string?, string?];

/** Reads a whole message. */
function bodyOf(message: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (c: Buffer) => chunks.push(c));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function bare(url: URL, upstreamKey: string): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${upstreamKey}` };
  return http.createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const path = `${url.pathname}/chat/completions`;
      const options = { hostname: url.hostname, port: url.port, path, method: 'POST', agent };
      const upstream = http.request(
        { ...options, headers: { ...headers, 'content-length': body.length } },
        (reply) =>
          void bodyOf(reply).then((text) => {
            res.writeHead(reply.statusCode ?? 502, {
              'content-type': 'application/json',
              'content-length': text.length,
            });
            res.end(text);
          }),
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
}

if (role === 'upstream') {
  const upstream = await startFakeUpstream();
  process.stdout.write(`${upstream.url} ${upstream.key}\n`);
  process.once('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
} else if (role === 'bare') {
  const server = bare(new URL(upstreamUrl!), key!);
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1\n`),
  );
  process.once('SIGTERM', () => process.exit(0));
} else {
  const sink = new LocalUsageSink(join(dir!, 'usage.db'));
  const proxy = await openProxy(
    {
      host: '127.0.0.1',
      port: 0,
      upstreamUrl: upstreamUrl!,
      upstreamKey: key!,
      keysFile: join(dir!, 'proxy-keys.yaml'),
      cluster: 'bench',
      node: 'bench',
    },
    { clock: systemClock, logger: silentLogger(), sink },
  );
  process.stdout.write(`${proxy.url}/v1\n`);
  process.once(
    'SIGTERM',
    () =>
      void proxy.stop().then(() => {
        sink.close();
        process.exit(0);
      }),
  );
}
