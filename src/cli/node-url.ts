/**
 * The HTTP base URL of the node a command talks to: `--url`, else the `http_host` and
 * `http_port` of the configuration (the YAML file, `BZZZ_HTTP_HOST`, `BZZZ_HTTP_PORT`), as
 * `bzzz agent` would listen with the same settings.
 */
import { loadConfig } from '../config/index.js';
import { UsageError, type CommandIO } from './command.js';

/** The node's base URL: `--url`, else the configured HTTP host and port. */
export function nodeUrl(io: CommandIO, flags: { url?: string; config?: string }): string {
  if (flags.url !== undefined) {
    if (!URL.canParse(flags.url) || !/^https?:$/.test(new URL(flags.url).protocol))
      throw new UsageError(`--url: not an http(s) URL: ${JSON.stringify(flags.url)}`);
    return flags.url.replace(/\/+$/, '');
  }
  const config = loadConfig({ env: io.env, cwd: io.cwd, ...(flags.config ? { file: flags.config } : {}) });
  if (config.http_port === 0)
    throw new UsageError("http_port is 0 (the node picked a free port): give the node's URL with --url");
  // a node listening on every interface is reached on loopback
  const host = ['0.0.0.0', '::', '[::]'].includes(config.http_host) ? '127.0.0.1' : config.http_host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http_port}`;
}
