/**
 * The `git` network policy: the sandbox keeps an empty network namespace (loopback only) and
 * reaches exactly one remote, the forge's git `host:port`, through a relay. Inside, `socat`
 * listens on 127.0.0.1 and forwards to a unix socket bind-mounted from the host; on the host
 * this relay connects each such stream to the remote and nowhere else. The address to use
 * inside is in `BZZZ_GIT_REMOTE`.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { SandboxOperationError } from './errors.js';
import { parseRemote } from './spec.js';

/** Where the relay's socket directory is mounted inside the sandbox. */
export const INNER_SOCKET_DIR = '/run/bzzz-git';

export class GitRelay {
  readonly socketDir: string;
  readonly #remote: { host: string; port: number };
  readonly #innerPort: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(
    remote: string,
    scratch: string,
    private readonly logger: Logger,
  ) {
    this.#remote = parseRemote(remote);
    // Unprivileged processes cannot listen below 1024.
    this.#innerPort = this.#remote.port >= 1024 ? this.#remote.port : 10_000 + this.#remote.port;
    this.socketDir = join(scratch, 'git-relay');
  }

  /** `host:port` to use inside the sandbox. */
  get innerAddress(): string {
    return `127.0.0.1:${this.#innerPort}`;
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    await mkdir(this.socketDir, { recursive: true });
    await chmod(this.socketDir, 0o755);
    const path = join(this.socketDir, 'git.sock');
    await rm(path, { force: true });
    const server = createServer({ allowHalfOpen: true }, (inner) => this.#relay(inner));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    }).catch((error: unknown) => {
      throw new SandboxOperationError('git relay', path, describeError(error), { cause: error });
    });
    await chmod(path, 0o666);
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketDir, { recursive: true, force: true });
  }

  /** argv of the forwarder to run inside the sandbox. */
  innerForwarderCommand(): string[] {
    return [
      'socat',
      `TCP-LISTEN:${this.#innerPort},bind=127.0.0.1,fork,reuseaddr`,
      `UNIX-CONNECT:${INNER_SOCKET_DIR}/git.sock`,
    ];
  }

  /** A shell prefix that starts the forwarder, waits until it listens, then runs "$@". */
  innerWrapper(): string[] {
    const hex = this.#innerPort.toString(16).toUpperCase().padStart(4, '0');
    const fwd = this.innerForwarderCommand().join(' ');
    const script =
      `${fwd} >/dev/null 2>&1 & i=0; ` +
      `while ! grep -q ':${hex} 00000000:0000 0A' /proc/net/tcp && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done; ` +
      'exec "$@"';
    return ['sh', '-c', script, 'sh'];
  }

  /** Polls (through `run`, an exec in the sandbox) until the inner forwarder listens. */
  async waitInnerReady(run: (command: string[]) => Promise<number>): Promise<void> {
    const hex = this.#innerPort.toString(16).toUpperCase().padStart(4, '0');
    const check = `i=0; while ! grep -q ':${hex} 00000000:0000 0A' /proc/net/tcp; do i=$((i+1)); [ $i -gt 300 ] && exit 1; sleep 0.01; done`;
    if ((await run(['sh', '-c', check])) !== 0) {
      throw new SandboxOperationError('git relay', this.innerAddress, 'the forwarder inside did not start');
    }
  }

  #relay(inner: Socket): void {
    const outer = connect({ port: this.#remote.port, host: this.#remote.host, allowHalfOpen: true });
    for (const s of [inner, outer]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', (error) => {
        this.logger.debug({ err: describeError(error) }, 'git relay stream failed');
        inner.destroy();
        outer.destroy();
      });
    }
    inner.pipe(outer);
    outer.pipe(inner);
  }
}
