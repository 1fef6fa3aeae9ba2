/**
 * Errors of the forge port. Each is a named class with structured fields and says whether
 * retrying can help: a refused branch or an unknown task never heals, a 500 or a rate limit may.
 * Messages never carry a credential (see {@link redactSecrets}).
 */
import { BzzzError } from '../../lib/errors.js';

/** The base of every forge error. */
export class ForgeError extends BzzzError {
  override readonly name: string = 'ForgeError';
}

/** A push to a branch outside `bzzz/` (never the default branch). Not retryable. */
export class ForbiddenBranchError extends ForgeError {
  override readonly name = 'ForbiddenBranchError';
  constructor(readonly branch: string) {
    super(
      `refusing to push to ${JSON.stringify(branch.slice(0, 200))}: bzzz only pushes branches under bzzz/`,
      {
        retryable: false,
      },
    );
  }
}

/** A repository name that is not `OWNER/NAME` with safe characters. Not retryable. */
export class InvalidRepoNameError extends ForgeError {
  override readonly name = 'InvalidRepoNameError';
  constructor(readonly input: string) {
    super(`invalid repository name ${JSON.stringify(input.slice(0, 200))}: expected OWNER/NAME`, {
      retryable: false,
    });
  }
}

/** The forge does not know this repository. */
export class RepoNotFoundError extends ForgeError {
  override readonly name = 'RepoNotFoundError';
  constructor(
    readonly repo: string,
    options: { cause?: unknown } = {},
  ) {
    super(`repository ${repo} not found`, { ...options, retryable: false });
  }
}

/** `repo add` of a repository the forge already holds. */
export class RepoExistsError extends ForgeError {
  override readonly name = 'RepoExistsError';
  constructor(readonly repo: string) {
    super(`repository ${repo} already exists`, { retryable: false });
  }
}

/** The forge does not know this task (or the key names another forge). */
export class TaskNotFoundError extends ForgeError {
  override readonly name = 'TaskNotFoundError';
  constructor(
    readonly key: string,
    options: { cause?: unknown } = {},
  ) {
    super(`task ${key} not found`, { ...options, retryable: false });
  }
}

/**
 * A claim marker for a task that got its outcome meanwhile: the last holder reported after the
 * new lease was won (its token was still the highest the forge had seen). The new holder gives
 * the lease back; a finished task is never marked in progress again. Not retryable.
 */
export class TaskFinishedError extends ForgeError {
  override readonly name = 'TaskFinishedError';
  constructor(readonly key: string) {
    super(`task ${key} is already finished: not marked as claimed`, { retryable: false });
  }
}

/** A pull request was asked for a branch the remote does not have. */
export class BranchNotFoundError extends ForgeError {
  override readonly name = 'BranchNotFoundError';
  constructor(
    readonly repo: string,
    readonly branch: string,
  ) {
    super(`branch ${branch} not found in ${repo}`, { retryable: false });
  }
}

/** A git command failed. `stderr` is redacted and capped. */
export class GitCommandError extends ForgeError {
  override readonly name = 'GitCommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(
      `git ${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      options,
    );
  }
}

/**
 * An effect made under a lease older than one the forge has already accepted for the task
 * (its token is lower than the highest seen): the holder was superseded. Not retryable.
 */
export class StaleTokenError extends ForgeError {
  override readonly name = 'StaleTokenError';
  constructor(
    readonly effect: string,
    readonly task: string,
    readonly token: number,
    readonly highest: number,
  ) {
    super(`${effect} on ${task} refused: token ${token} is older than ${highest}, already accepted`, {
      retryable: false,
    });
  }
}

/**
 * A push refused by the forge's compare-and-swap: the branch's head is no longer the one the
 * push expected (someone else pushed since the lease was won). The holder re-reads the head
 * and pushes again, fenced, if its lease is still live.
 */
export class StalePushError extends ForgeError {
  override readonly name = 'StalePushError';
  constructor(
    readonly branch: string,
    readonly expected: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(`push of ${branch} refused: its head is no longer ${expected ?? '(absent)'}`, {
      ...options,
      retryable: false,
    });
  }
}

/** Stored forge data (a JSON record of the local forge) that cannot be read. */
export class ForgeDataError extends ForgeError {
  override readonly name = 'ForgeDataError';
  constructor(
    readonly path: string,
    reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`corrupt forge record ${path}: ${reason}`, { ...options, retryable: false });
  }
}

/** A GitHub API call failed with an HTTP status (or none: network). */
export class GitHubApiError extends ForgeError {
  override readonly name: string = 'GitHubApiError';
  constructor(
    readonly status: number | null,
    readonly route: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`GitHub ${route}: ${status === null ? 'no response' : `HTTP ${status}`}: ${message}`, {
      ...options,
      retryable: options.retryable ?? (status === null || status >= 500),
    });
  }
}

/** GitHub refused for a primary or secondary rate limit and waiting was not worth it here. */
export class GitHubRateLimitError extends GitHubApiError {
  override readonly name = 'GitHubRateLimitError';
  constructor(
    status: number,
    route: string,
    readonly limit: 'primary' | 'secondary',
    /** When GitHub says another attempt may succeed (epoch ms), if it said. */
    readonly retryAt: number | null,
    options: { cause?: unknown } = {},
  ) {
    super(
      status,
      route,
      `${limit} rate limit exceeded${retryAt === null ? '' : ` until ${new Date(retryAt).toISOString()}`}`,
      {
        ...options,
        retryable: true,
      },
    );
  }
}

/** GitHub answered 2xx with a body that is not the documented shape (or not JSON). */
export class GitHubMalformedResponseError extends GitHubApiError {
  override readonly name = 'GitHubMalformedResponseError';
  constructor(route: string, reason: string, options: { cause?: unknown } = {}) {
    super(200, route, `malformed response: ${reason}`, { ...options, retryable: true });
  }
}

/** Replaces each secret (and its base64 forms used in HTTP auth) in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const forms = [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(`x-access-token:${secret}`).toString('base64'),
    ];
    for (const form of forms) out = out.split(form).join('***');
  }
  return out;
}
