/**
 * A long-lived resource as a supervised XState actor: the pure service machine with its
 * `open`, `watch`, `close` and `hold` effects provided from a resource factory. A failure of
 * the resource while running ends the actor with a failure output, which its supervisor
 * sees as a crash; an error marked non-retryable (a port in use) is not restarted.
 */
import { fromCallback, fromPromise } from 'xstate';
import { serviceMachine, type ServiceEvent } from '../machines/service.js';
import type { ChildSpec, RestartType, Shutdown, StartContext } from '../supervisor/child.js';
import { xstateChild } from './xstate-child.js';
import type { Resource } from '../lib/resource.js';

export type { Resource } from '../lib/resource.js';

export interface ServiceSpecOptions {
  restart?: RestartType;
  shutdown?: Shutdown;
  /** How long opening may take (default 30 s). */
  openTimeoutMs?: number;
}

export function serviceSpec(
  id: string,
  open: (ctx: StartContext) => Promise<Resource>,
  options: ServiceSpecOptions = {},
): ChildSpec {
  return xstateChild(id, {
    logic: (ctx) => {
      let resource: Resource | undefined;
      let released = false;
      return serviceMachine.provide({
        actors: {
          open: fromPromise(async () => {
            resource = await open(ctx);
          }),
          watch: fromCallback<ServiceEvent>(({ sendBack }) => {
            resource?.onFailure?.((error) => sendBack({ type: 'service.failed', error }));
          }),
          close: fromPromise(async () => {
            released = true;
            await resource?.stop();
          }),
          hold: fromCallback(() => () => {
            if (released || resource === undefined) return;
            released = true;
            if (resource.kill) resource.kill();
            else void resource.stop().catch(() => undefined);
          }),
        },
      });
    },
    // its events come from its own effects: no mailbox message is for it
    accept: () => undefined,
    stop: { type: 'bzzz.stop' },
    input: (ctx) => ({ name: ctx.path }),
    ready: (snapshot) => snapshot.hasTag('ready'),
    readyTimeoutMs: options.openTimeoutMs ?? 30_000,
    restart: options.restart ?? 'permanent',
    shutdown: options.shutdown ?? 5_000,
  });
}
