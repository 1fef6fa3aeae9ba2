/**
 * The sandbox port's errors. Each says whether retrying can help: a missing image or a
 * hostile path will fail the same way again; a daemon that did not answer may not.
 */
import { BzzzError } from '../../lib/errors.js';

/** The base of every sandbox error. */
export class SandboxError extends BzzzError {
  override readonly name: string = 'SandboxError';
}

/** The create options were invalid (a bad limit, an unknown network policy, a bad remote). */
export class InvalidSandboxSpecError extends SandboxError {
  override readonly name = 'InvalidSandboxSpecError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid sandbox option ${field}: ${reason}`, { retryable: false });
  }
}

/** The backend cannot run here: no Docker engine answering, no `bwrap` binary. */
export class SandboxUnavailableError extends SandboxError {
  override readonly name = 'SandboxUnavailableError';
  constructor(
    readonly backend: string,
    reason: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`sandbox backend ${backend} is unavailable: ${reason}`, options);
  }
}

/** The sandbox image is not built on this machine. */
export class SandboxImageMissingError extends SandboxError {
  override readonly name = 'SandboxImageMissingError';
  constructor(
    readonly image: string,
    options: { cause?: unknown } = {},
  ) {
    super(`sandbox image ${image} is missing: run \`bzzz sandbox image build\``, {
      ...options,
      retryable: false,
    });
  }
}

/** Building the sandbox image failed (debootstrap, tar or the import). */
export class ImageBuildError extends SandboxError {
  override readonly name = 'ImageBuildError';
  constructor(
    readonly step: string,
    reason: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`sandbox image build failed at ${step}: ${reason}`, options);
  }
}

/** A backend operation on a sandbox failed (create, start, exec, copy). */
export class SandboxOperationError extends SandboxError {
  override readonly name = 'SandboxOperationError';
  constructor(
    readonly operation: string,
    readonly sandboxId: string,
    reason: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`sandbox ${sandboxId}: ${operation} failed: ${reason}`, options);
  }
}

/** The sandbox was destroyed; nothing more can run in it. */
export class SandboxDestroyedError extends SandboxError {
  override readonly name = 'SandboxDestroyedError';
  constructor(readonly sandboxId: string) {
    super(`sandbox ${sandboxId} is destroyed`, { retryable: false });
  }
}

/** A copy path leaves the work dir (`..`, an absolute path, a symlink pointing out). */
export class SandboxPathError extends SandboxError {
  override readonly name = 'SandboxPathError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`sandbox path ${JSON.stringify(path.slice(0, 200))} rejected: ${reason}`, { retryable: false });
  }
}

/** The warm pool was stopped; it hands out nothing more. */
export class PoolStoppedError extends SandboxError {
  override readonly name = 'PoolStoppedError';
  constructor() {
    super('the sandbox pool is stopped', { retryable: false });
  }
}
