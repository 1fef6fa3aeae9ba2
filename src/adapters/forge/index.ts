/**
 * The forge port: where tasks (issues) come from and where work goes (a pushed `bzzz/`
 * branch, a pull request, a completion report). Two implementations sit beside this file:
 * `local` (a directory of bare repositories and JSON records) and `github` (REST API).
 *
 * Every method with an external effect takes a {@link Fence}, awaited immediately before each
 * effect: the lease check of SPEC §8. When it throws, the method stops and rethrows that error
 * unchanged, and nothing further reaches the forge. Each also carries the lease's token and
 * holder ({@link Fenced}): the local forge refuses a token older than one it has accepted for
 * the task (`StaleTokenError`) and logs every applied effect; on GitHub the push is a
 * compare-and-swap against the head read when the lease was won (`StalePushError`).
 */
import { LocalForge, type LocalForgeInit } from './local.js';
import { GitHubForge, type GitHubForgeInit } from './github.js';
import type { Forge, ForgeComponents } from './types.js';

export type * from './types.js';
export * from './errors.js';
export * from './names.js';
export { DEFAULT_LOCAL_REPO, LocalForge, type LocalForgeInit, type NewTask } from './local.js';
export { GitHubForge, type GitHubForgeInit } from './github.js';
export { checkoutTask, cloneRepo, type Checkout, type Clone } from './checkout.js';
export { git, type GitOptions } from './git.js';

/** Chooses an implementation. */
export type ForgeInit = ({ kind: 'local' } & LocalForgeInit) | ({ kind: 'github' } & GitHubForgeInit);

/** Creates the forge `init` names. */
export function createForge(init: ForgeInit, components: ForgeComponents): Forge {
  return init.kind === 'local' ? new LocalForge(init, components) : new GitHubForge(init, components);
}
