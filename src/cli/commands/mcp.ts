/**
 * `bzzz mcp`: an MCP server on stdio, for a local MCP client that starts its servers as
 * processes. With a node running, it bridges stdin and stdout to the node's Streamable HTTP
 * endpoint (`--url`, else `http://127.0.0.1:<BZZZ_MCP_PORT>/mcp`), presenting the token of
 * `--token-file`, else `BZZZ_MCP_TOKEN_FILE` (or with `--read-only`,
 * `BZZZ_MCP_READONLY_TOKEN_FILE`). With none answering there (or `--alone`), it serves alone:
 * a node of its own with no agent (mcp-alone.ts). stdout carries the protocol only; logs go to
 * stderr.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MCP_PATH, runStdioBridge } from '../../adapters/mcp/index.js';
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../lib/log.js';
import { UsageError, writeLine, type Command } from '../command.js';
import { parseFlags } from '../flags.js';
import { portAnswers, runMcpAlone } from './mcp-alone.js';

const USAGE = `Usage: bzzz mcp [--url URL] [--token-file FILE | --read-only] [--alone] [--config FILE]

An MCP server on stdio (JSON-RPC on stdin and stdout), for a local MCP client that starts its
servers as processes. When a node's MCP server answers (bzzz up, bzzz agent), every message
goes to it over Streamable HTTP, so the client gets the same tools and resources as an HTTP
client with the same token. When none answers, or with --alone, this process serves alone: it
starts a node of its own with no agent (it joins the cluster BZZZ_NATS_URL or BZZZ_BUS names,
else reads the data dir and the local forge) and stops it when the client closes stdin.
  --url URL          the node's MCP endpoint (default http://127.0.0.1:<BZZZ_MCP_PORT>/mcp)
  --token-file FILE  the bearer token to present (default BZZZ_MCP_TOKEN_FILE)
  --read-only        present BZZZ_MCP_READONLY_TOKEN_FILE's token (alone: offer no write tool)
  --alone            serve from a node of this process, even if a node's MCP server answers
  --config FILE      YAML configuration (default ./bzzz.yaml if present)

A client's configuration, e.g.:
  {"mcpServers": {"bzzz": {"command": "bzzz", "args": ["mcp"],
                           "env": {"BZZZ_MCP_TOKEN_FILE": "/etc/bzzz/mcp-token"}}}}`;

export const mcpCommand: Command = {
  name: 'mcp',
  summary: "the node's MCP server on stdio, for a local MCP client",
  usage: USAGE,
  async run(io) {
    const { values, positionals } = parseFlags(io.argv, {
      url: { type: 'string' },
      'token-file': { type: 'string' },
      'read-only': { type: 'boolean' },
      alone: { type: 'boolean' },
      config: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (values['read-only'] === true && values['token-file'] !== undefined)
      throw new UsageError('--read-only and --token-file name two tokens: give one');
    if (values.alone === true && (values.url !== undefined || values['token-file'] !== undefined))
      throw new UsageError(
        "--alone serves from this process: --url and --token-file name another node's server",
      );
    const config = loadConfig({
      env: io.env,
      cwd: io.cwd,
      ...(values.config ? { file: values.config } : {}),
    });
    const access = values['read-only'] === true ? 'read-only' : 'read-write';
    if (values.alone === true) return runMcpAlone(config, io, access);
    if (
      values.url === undefined &&
      !(config.mcp_port > 0 && (await portAnswers('127.0.0.1', config.mcp_port)))
    ) {
      writeLine(
        io.stderr,
        `bzzz mcp: no node's MCP server answers on port ${config.mcp_port}: serving alone`,
      );
      return runMcpAlone(config, io, access);
    }
    const url = endpoint(values.url, config);
    const tokenFile =
      values['token-file'] === undefined
        ? values['read-only'] === true
          ? config.mcp_readonly_token_file
          : config.mcp_token_file
        : resolve(io.cwd, values['token-file']);
    if (values['read-only'] === true && tokenFile === undefined)
      throw new UsageError('--read-only needs BZZZ_MCP_READONLY_TOKEN_FILE');
    const token = tokenFile === undefined ? undefined : await readToken(tokenFile);
    const logger = createLogger({ level: config.log_level, destination: io.stderr });
    await runStdioBridge(
      { url, ...(token === undefined ? {} : { token }) },
      { stdin: process.stdin, stdout: io.stdout, logger },
    );
    return 0;
  },
};

function endpoint(flag: string | undefined, config: Config): string {
  if (flag !== undefined) {
    if (!URL.canParse(flag) || !/^https?:$/.test(new URL(flag).protocol))
      throw new UsageError(`--url: not an http(s) URL: ${JSON.stringify(flag)}`);
    return flag;
  }
  return `http://127.0.0.1:${config.mcp_port}${MCP_PATH}`;
}

async function readToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the token file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`the token file ${path} is empty`);
  return token;
}
