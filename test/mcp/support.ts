/**
 * A real node for the MCP tests: the embedded default (local forge, scripted reasoner, bwrap
 * sandboxes) in a temporary data dir, its MCP server on a free port with a read-write and a
 * read-only token file, and SDK clients connected to it over Streamable HTTP.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startMainJob, type MainJob } from '../../src/node/main-job.js';
import type { McpHooks } from '../../src/node/mcp.js';

export const READ_WRITE_TOKEN = 'rw-3f9c1d7e2b8a4c6d0e5f';
export const READ_ONLY_TOKEN = 'ro-8b2e4a6c0d9f1e3a5c7b';

export interface McpNode {
  job: MainJob;
  forge: LocalForge;
  dir: string;
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  tokenFile: string;
  readOnlyTokenFile: string;
  stop(): Promise<void>;
}

/** A step list as the scripted reasoner reads it from a task body. */
export function steps(...commands: string[]): string {
  return `\`\`\`bzzz-steps\n${commands.join('\n')}\n\`\`\`\n`;
}

export async function startMcpNode(hooks: McpHooks = {}, env: Record<string, string> = {}): Promise<McpNode> {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-mcp-'));
  chmodSync(dir, 0o755);
  const tokenFile = join(dir, 'mcp-token');
  const readOnlyTokenFile = join(dir, 'mcp-readonly-token');
  writeFileSync(tokenFile, `${READ_WRITE_TOKEN}\n`);
  writeFileSync(readOnlyTokenFile, `${READ_ONLY_TOKEN}\n`);
  const config = loadConfig({
    env: {
      BZZZ_DATA_DIR: join(dir, 'data'),
      BZZZ_HTTP_PORT: '0',
      BZZZ_MCP_PORT: '0',
      BZZZ_MCP_HOST: '127.0.0.1',
      BZZZ_MCP_TOKEN_FILE: tokenFile,
      BZZZ_MCP_READONLY_TOKEN_FILE: readOnlyTokenFile,
      BZZZ_SANDBOX: 'bwrap',
      BZZZ_POLL_INTERVAL_MS: '100',
      BZZZ_NODE_NAME: 'mcp-node',
      BZZZ_LOG_LEVEL: 'silent',
      ...env,
    },
    cwd: dir,
  });
  const forge = new LocalForge(
    { dir: join(dir, 'data', 'forge') },
    { logger: silentLogger(), clock: systemClock },
  );
  let url: string | undefined;
  const job = await startMainJob(config, {
    agents: 1,
    logger: silentLogger(),
    clock: systemClock,
    mcp: { ...hooks, onListening: (listening) => (url = listening) },
  });
  if (url === undefined) {
    await job.stop();
    throw new Error('the MCP server did not listen');
  }
  return { job, forge, dir, url, tokenFile, readOnlyTokenFile, stop: () => job.stop() };
}

/** An SDK client connected over Streamable HTTP with `token`. */
export async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'bzzz-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}
