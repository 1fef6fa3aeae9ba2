/**
 * No isolation at all: commands run as this process's user in a plain work directory. Only
 * the embedded default may use it, and only for the scripted steps of tasks from the local
 * forge (which the user wrote), on a machine with neither Docker nor bubblewrap (SPEC §10).
 * A reasoning model or a remote forge always requires `docker` or `bwrap`.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve, relative, isAbsolute } from 'node:path';
import { ulid } from 'ulid';
import { SandboxDestroyedError, SandboxPathError } from './errors.js';
import type { ExecRequest, ExecResult, Sandbox, SandboxSpec } from './types.js';
import { resolveExec, resolveSpec } from './spec.js';
import { CappedOutput } from './output.js';

export class PlainSandbox implements Sandbox {
  readonly backend = 'plain' as const;
  destroyed = false;
  readonly #spec: ReturnType<typeof resolveSpec>;

  private constructor(
    readonly id: string,
    readonly workDir: string,
    spec: SandboxSpec,
    /** Created here, so removed on destroy (a given work dir belongs to the caller). */
    private readonly owned: boolean,
  ) {
    this.#spec = resolveSpec(spec);
  }

  static async create(base: string, spec: SandboxSpec = {}): Promise<PlainSandbox> {
    if (spec.workDir !== undefined) return new PlainSandbox(`plain-${ulid()}`, spec.workDir, spec, false);
    await mkdir(base, { recursive: true });
    const dir = await mkdtemp(join(base, 'plain-'));
    return new PlainSandbox(`plain-${ulid()}`, dir, spec, true);
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    if (this.destroyed) return Promise.reject(new SandboxDestroyedError(this.id));
    const exec = resolveExec(request, this.#spec.limits, this.#spec.redactor);
    const cwd = exec.cwd === '/work' ? this.workDir : join(this.workDir, relative('/work', exec.cwd));
    const started = Date.now();
    return new Promise((done, fail) => {
      const child = spawn(exec.command[0]!, exec.command.slice(1), {
        cwd,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: this.workDir,
          LANG: 'C.UTF-8',
          ...this.#spec.env,
          ...exec.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out = new CappedOutput(this.#spec.limits.outputBytes, exec.redactor);
      const err = new CappedOutput(this.#spec.limits.outputBytes, exec.redactor);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, exec.timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        done({
          exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
          stdout: out.text(),
          stderr: err.text(),
          stdoutTruncated: out.truncated,
          stderrTruncated: err.truncated,
          durationMs: Date.now() - started,
          timedOut,
          outOfMemory: false,
        });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(exec.stdin);
    });
  }

  async copyIn(hostPath: string, to = '.'): Promise<void> {
    await cp(hostPath, this.#inside(to), { recursive: true, verbatimSymlinks: true, force: true });
  }

  async copyOut(from: string, hostPath: string): Promise<void> {
    await cp(this.#inside(from), hostPath, { recursive: true, verbatimSymlinks: true, force: true });
  }

  async reset(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
    await mkdir(this.workDir, { recursive: true });
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.owned) await rm(this.workDir, { recursive: true, force: true });
  }

  #inside(path: string): string {
    const full = resolve(this.workDir, path);
    const rel = relative(this.workDir, full);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new SandboxPathError(path, 'outside the work dir');
    return full;
  }
}
