/**
 * Opening a listening socket, the way every server of a node does (its HTTP API, the resolver,
 * the MCP server, the proxy): a port already taken is a {@link PortInUseError} that names the
 * setting which moves it; any other failure to listen is passed on as it came.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonRetryableError } from './errors.js';

/** The port is taken: restarting cannot help. */
export class PortInUseError extends NonRetryableError {
  override readonly name = 'PortInUseError';
  constructor(
    /** What was to listen there (`HTTP`, `MCP`, `proxy`). */
    readonly service: string,
    readonly port: number,
    /** The setting that moves it (`BZZZ_MCP_PORT`). */
    readonly setting: string,
    cause: unknown,
  ) {
    super(`${service} port ${port} is already in use (set ${setting}, or 0 for a free port)`, { cause });
  }
}

/** Listens on `port` (0: a free one) and `host`; resolves with the port bound. */
export function listen(
  server: Server,
  at: { port: number; host: string; service: string; setting: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void =>
      reject(
        error.code === 'EADDRINUSE' ? new PortInUseError(at.service, at.port, at.setting, error) : error,
      );
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
