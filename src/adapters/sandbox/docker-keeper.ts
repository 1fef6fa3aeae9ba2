/**
 * The dead man's switch of a docker sandbox. The container's main process (its keeper) reads
 * a stdin this process holds attached and exits when it closes; the engine then removes the
 * container (AutoRemove). When this process dies, even by SIGKILL, the kernel closes its
 * connection to the engine, the engine closes the keeper's stdin (StdinOnce), and the
 * container goes with it: what `--die-with-parent` does for bwrap. The node's start-up sweep
 * stays as a second net for the moment between creating a container and attaching to it.
 */
import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

/** The keeper: reads stdin until it closes (the container's main process, under docker's init). */
export const KEEPER_COMMAND: readonly string[] = ['sh', '-c', 'exec cat >/dev/null'];

/** What the container needs for the switch: an open stdin, closed when its one client leaves. */
export const KEEPER_OPTIONS = { OpenStdin: true, StdinOnce: true } as const;

export class DeadMansSwitch {
  #attached: NodeJS.ReadWriteStream | undefined;

  constructor(
    private readonly container: Docker.Container,
    private readonly log: Logger,
  ) {}

  /**
   * Attaches to the keeper's stdin. Call it before the container starts and again after every
   * restart: the engine ends an attachment when the container stops.
   */
  async arm(): Promise<void> {
    const stream = await this.container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    });
    // the keeper prints nothing; reading keeps the connection flowing
    stream.on('data', () => undefined);
    stream.on('error', (error: unknown) =>
      this.log.debug({ err: describeError(error) }, 'keeper attachment'),
    );
    // the attachment alone must not keep this process alive
    (stream as Partial<Socket>).unref?.();
    this.#attached = stream;
  }

  /** Closes the attachment (the keeper exits and the container goes): after the container is removed. */
  release(): void {
    (this.#attached as Partial<Socket> | undefined)?.destroy?.();
    this.#attached = undefined;
  }
}
