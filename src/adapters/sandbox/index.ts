/**
 * The sandbox port: the wall between commands a language model wrote and the host (SPEC §9).
 * A backend creates sandboxes (an image or root, a work dir, env, limits, a network policy);
 * a sandbox runs commands with capped, redacted output, copies trees in and out, and is
 * destroyed. Backends: `docker` (dockerode) and `bwrap` (bubblewrap). No unsandboxed backend.
 */
import { BwrapBackend } from './bwrap.js';
import { DockerBackend } from './docker.js';
import { InvalidSandboxSpecError } from './errors.js';
import type { SandboxBackend, SandboxInit, SandboxComponents } from './types.js';

export type * from './types.js';
export * from './errors.js';
export { PlainSandbox } from './plain.js';
export { Redactor, REDACTED } from './redact.js';
export { truncationMarker } from './output.js';
export { DEFAULT_LIMITS, SANDBOX_UID, SANDBOX_WORK_DIR } from './spec.js';
export { buildImage, defaultImageRef, imageExists, type ImageBuildInit } from './image.js';

/** Creates the backend named in `init`. */
export function createSandboxBackend(init: SandboxInit, components: SandboxComponents): SandboxBackend {
  switch (init.backend) {
    case 'docker':
      return new DockerBackend(init, components);
    case 'bwrap':
      return new BwrapBackend(init, components);
    default:
      throw new InvalidSandboxSpecError('backend', `unknown backend ${JSON.stringify(init.backend)}`);
  }
}
