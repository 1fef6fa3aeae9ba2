/** Every pure machine of bzzz, by name (exported by `bzzz machines`). */
import type { AnyStateMachine } from 'xstate';
import { serviceMachine } from './service.js';

export { serviceMachine };
export type { ServiceEvent, ServiceFailure, ServiceInput } from './service.js';

export const machines: Readonly<Record<string, AnyStateMachine>> = {
  service: serviceMachine,
};
