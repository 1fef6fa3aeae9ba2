/**
 * Runs one bwrap command line to its end: output capped and redacted, the whole process group
 * (and the cgroup, when there is one) killed at the request's timeout, the exit code as a
 * shell reports it (128 + signal).
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { SandboxCgroup } from './cgroup.js';
import { SandboxUnavailableError } from './errors.js';
import { CappedOutput } from './output.js';
import type { ResolvedExec } from './spec.js';
import type { ExecResult } from './types.js';

export interface ContainedRun {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly request: ResolvedExec;
  readonly outputBytes: number;
  readonly cgroup: SandboxCgroup | undefined;
  readonly clock: Clock;
  /** Holds this run's kill while it runs, so reset() and destroy() can end it. */
  readonly running: Set<() => Promise<void>>;
}

/** The result of one run, all but `outOfMemory` (the sandbox counts OOM kills across runs). */
export async function runContained(run: ContainedRun): Promise<Omit<ExecResult, 'outOfMemory'>> {
  const { argv, env, request, cgroup, clock, running } = run;
  const started = process.hrtime.bigint();
  const stdout = new CappedOutput(run.outputBytes, request.redactor);
  const stderr = new CappedOutput(run.outputBytes, request.redactor);
  const child = spawn(argv[0]!, argv.slice(1), { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let timedOut = false;
  const kill = async (): Promise<void> => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await cgroup?.killAll();
  };
  running.add(kill);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.on('error', (error) => resolve({ code: null, signal: null, error }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    },
  );
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdin.on('error', () => undefined);
  child.stdin.end(request.stdin);
  const timer = clock.setTimeout(() => {
    timedOut = true;
    void kill();
  }, request.timeoutMs);
  const end = await closed;
  clock.clearTimeout(timer);
  running.delete(kill);
  // what the command left is killed once no other command of the sandbox runs: they share one
  // cgroup, and settling it under a command still running would kill that command too
  if (running.size === 0) await cgroup?.settle();
  if (end.error !== undefined) {
    throw new SandboxUnavailableError('bwrap', describeError(end.error), {
      cause: end.error,
      retryable: false,
    });
  }
  return {
    exitCode: timedOut ? 137 : (end.code ?? 128 + signalNumber(end.signal)),
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    timedOut,
  };
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 1 : (SIGNALS[signal] ?? 1);
}
