/**
 * The sandbox provider the tasks of a node use, timed: every command's duration, as the
 * sandbox measured it, goes to `bzzz_sandbox_exec_seconds{backend}`. A decorator around the
 * provider and its sandboxes, so no backend knows about metrics.
 */
import type { SandboxProvider } from '../adapters/workspace/index.js';
import type { ExecRequest, ExecResult, Sandbox } from '../adapters/sandbox/index.js';

/** What the provider reports to (NodeMetrics). */
export interface SandboxMetrics {
  sandboxExec(backend: string, seconds: number): void;
}

export function timedSandboxes(provider: SandboxProvider, metrics: SandboxMetrics): SandboxProvider {
  return {
    get name(): string {
      return provider.name;
    },
    create: async (spec) => new TimedSandbox(await provider.create(spec), metrics),
  };
}

class TimedSandbox implements Sandbox {
  constructor(
    private readonly inner: Sandbox,
    private readonly metrics: SandboxMetrics,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get backend(): Sandbox['backend'] {
    return this.inner.backend;
  }

  get workDir(): string {
    return this.inner.workDir;
  }

  get destroyed(): boolean {
    return this.inner.destroyed;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    const result = await this.inner.exec(request);
    this.metrics.sandboxExec(this.inner.backend, result.durationMs / 1000);
    return result;
  }

  copyIn(hostPath: string, to?: string): Promise<void> {
    return this.inner.copyIn(hostPath, to);
  }

  copyOut(from: string, hostPath: string): Promise<void> {
    return this.inner.copyOut(from, hostPath);
  }

  reset(): Promise<void> {
    return this.inner.reset();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
