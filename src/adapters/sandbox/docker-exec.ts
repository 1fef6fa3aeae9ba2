/**
 * One command in a running container: a docker exec whose multiplexed stream is split into
 * capped stdout and stderr, fed stdin, and cut at the wall-time limit by a callback that
 * kills everything the command started.
 */
import type Docker from 'dockerode';
import type { Clock } from '../../lib/clock.js';
import { CappedOutput } from './output.js';
import type { Redactor } from './redact.js';
import type { ResolvedExec } from './spec.js';

/** Splits Docker's multiplexed attach stream (8-byte frame headers) into stdout and stderr. */
export class StreamDemuxer {
  #pending = Buffer.alloc(0);

  constructor(
    private readonly stdout: (chunk: Buffer) => void,
    private readonly stderr: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) this.stderr(payload);
      else this.stdout(payload);
      buf = buf.subarray(8 + size);
    }
    this.#pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }
}

export interface RawExecOutcome {
  exitCode: number | null;
  stdout: CappedOutput;
  stderr: CappedOutput;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs `request` in `container` as `user`. On timeout `onTimeout` must kill the command and
 * everything it started (so the stream ends); the outcome then says `timedOut`.
 */
export async function runDockerExec(
  container: Docker.Container,
  user: string,
  request: ResolvedExec,
  limits: { outputBytes: number },
  redactor: Redactor,
  clock: Clock,
  onTimeout: () => Promise<void>,
): Promise<RawExecOutcome> {
  const started = clock.now();
  const startedHr = process.hrtime.bigint();
  const exec = await container.exec({
    Cmd: request.command,
    Env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: request.cwd,
    User: user,
    AttachStdin: request.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stdout = new CappedOutput(limits.outputBytes, redactor);
  const stderr = new CappedOutput(limits.outputBytes, redactor);
  const demux = new StreamDemuxer(
    (c) => stdout.push(c),
    (c) => stderr.push(c),
  );
  const stream = await exec.start({ hijack: true, stdin: request.stdin !== undefined });
  let timedOut = false;
  let killing: Promise<void> | undefined;
  const ended = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  const timer = clock.setTimeout(() => {
    timedOut = true;
    killing = onTimeout().finally(() => stream.destroy());
  }, request.timeoutMs);
  if (request.stdin !== undefined) {
    stream.write(request.stdin);
    stream.end();
  }
  await ended;
  clock.clearTimeout(timer);
  // The stream ends when the kill lands; the sandbox is usable again only once it restarted.
  if (killing !== undefined) await killing;
  const durationMs = Math.max(Number(process.hrtime.bigint() - startedHr) / 1e6, clock.now() - started);
  let exitCode: number | null = null;
  if (!timedOut) {
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running) {
        exitCode = info.ExitCode;
        break;
      }
      // The stream can close a moment before the engine records the exit.
      await clock.sleep(10);
    }
  }
  return { exitCode, stdout, stderr, timedOut, durationMs };
}
