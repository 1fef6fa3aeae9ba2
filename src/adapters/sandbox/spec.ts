/**
 * Defaults and validation of what callers hand a sandbox: limits, env, network policy and
 * exec requests. Bad input becomes an `InvalidSandboxSpecError` naming the field, before any
 * backend work starts.
 */
import { z } from 'zod';
import { InvalidSandboxSpecError } from './errors.js';
import type { ExecRequest, NetworkPolicy, SandboxLimits, SandboxSpec } from './types.js';
import { Redactor } from './redact.js';

/** The uid and gid commands run as inside every sandbox. */
export const SANDBOX_UID = 1000;
/** Where the work dir is mounted inside every sandbox. */
export const SANDBOX_WORK_DIR = '/work';

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryBytes: 1024 * 1024 * 1024,
  cpus: 1,
  pids: 256,
  wallTimeMs: 10 * 60_000,
  outputBytes: 1024 * 1024,
});

/** The PATH and HOME every command starts from. */
export const BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
});

const limitsSchema = z.strictObject({
  memoryBytes: z
    .number()
    .int()
    .min(16 * 1024 * 1024)
    .max(2 ** 50)
    .optional(),
  cpus: z.number().positive().max(1024).optional(),
  pids: z.number().int().min(8).max(1_000_000).optional(),
  wallTimeMs: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600_000)
    .optional(),
  outputBytes: z
    .number()
    .int()
    .min(1)
    .max(1024 ** 3)
    .optional(),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envSchema = z.record(
  z.string().regex(ENV_NAME, 'not a valid variable name'),
  z.string().refine((v) => !v.includes('\0'), 'contains NUL'),
);

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** A validated `host:port`. */
export function parseRemote(remote: string): { host: string; port: number } {
  const m = HOST_PORT.exec(remote);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new InvalidSandboxSpecError('network.remote', `expected host:port, got ${JSON.stringify(remote)}`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export interface ResolvedSpec {
  image: string | undefined;
  workDir: string | undefined;
  env: Record<string, string>;
  limits: SandboxLimits;
  network: NetworkPolicy;
  redactor: Redactor;
  task: string;
}

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue !== undefined && issue.path.length > 0 ? `${field}.${issue.path.join('.')}` : field;
  throw new InvalidSandboxSpecError(at, issue?.message ?? 'invalid');
}

/** Fills defaults and validates; throws `InvalidSandboxSpecError` on bad input. */
export function resolveSpec(spec: SandboxSpec = {}): ResolvedSpec {
  if (typeof spec !== 'object' || spec === null) throw new InvalidSandboxSpecError('spec', 'not an object');
  const limits = { ...DEFAULT_LIMITS, ...stripUndefined(check(limitsSchema, spec.limits ?? {}, 'limits')) };
  const env = check(envSchema, spec.env ?? {}, 'env');
  const network = spec.network ?? { mode: 'none' };
  if (network.mode === 'git') parseRemote(network.remote);
  else if ((network as { mode: unknown }).mode !== 'none') {
    throw new InvalidSandboxSpecError('network.mode', 'expected none or git');
  }
  const secrets = check(z.array(z.string()), spec.secrets ?? [], 'secrets');
  if (spec.image !== undefined && (typeof spec.image !== 'string' || spec.image.length === 0)) {
    throw new InvalidSandboxSpecError('image', 'expected a non-empty string');
  }
  if (spec.workDir !== undefined && (typeof spec.workDir !== 'string' || !spec.workDir.startsWith('/'))) {
    throw new InvalidSandboxSpecError('workDir', 'expected an absolute path');
  }
  const task = spec.task ?? '';
  if (typeof task !== 'string' || task.length > 300) throw new InvalidSandboxSpecError('task', 'too long');
  return {
    image: spec.image,
    workDir: spec.workDir,
    env,
    limits,
    network,
    redactor: new Redactor(secrets),
    task,
  };
}

export interface ResolvedExec {
  command: string[];
  stdin: Buffer | undefined;
  timeoutMs: number;
  env: Record<string, string>;
  cwd: string;
  /** The sandbox's redactor plus this command's secrets. */
  redactor: Redactor;
}

/** Validates one exec request against the sandbox's limits. */
export function resolveExec(request: ExecRequest, limits: SandboxLimits, redactor: Redactor): ResolvedExec {
  const command = check(z.array(z.string()).min(1, 'empty command'), request.command, 'command');
  if (command.some((a) => a.includes('\0'))) throw new InvalidSandboxSpecError('command', 'contains NUL');
  const timeout = request.timeoutMs ?? limits.wallTimeMs;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new InvalidSandboxSpecError('timeoutMs', 'must be > 0');
  const cwd = request.cwd ?? SANDBOX_WORK_DIR;
  if (typeof cwd !== 'string' || !cwd.startsWith('/'))
    throw new InvalidSandboxSpecError('cwd', 'absolute path');
  const stdin =
    request.stdin === undefined
      ? undefined
      : typeof request.stdin === 'string'
        ? Buffer.from(request.stdin, 'utf8')
        : Buffer.from(request.stdin);
  return {
    command,
    stdin,
    timeoutMs: Math.min(Math.floor(timeout), limits.wallTimeMs),
    env: check(envSchema, request.env ?? {}, 'env'),
    cwd,
    redactor:
      request.secrets === undefined
        ? redactor
        : redactor.with(check(z.array(z.string()), request.secrets, 'secrets')),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
