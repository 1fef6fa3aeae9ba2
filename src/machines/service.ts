/**
 * The life of a long-lived resource (an HTTP server, a health monitor, a bus connection):
 * opening → running → closing → closed, or failed. Pure: the effects are the named actors
 * `open`, `watch` (reports a failure while running) and `close`, and `hold` (whose cleanup
 * releases the resource at once when the actor is killed), provided where the actor is created.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';

export interface ServiceInput {
  name: string;
}

export interface ServiceFailure {
  failure: { name: string; message: string; retryable: boolean };
}

export type ServiceEvent = { type: 'service.failed'; error: unknown } | { type: 'bzzz.stop' };

interface ServiceContext extends ServiceInput {
  failure?: ServiceFailure['failure'];
}

function failureOf(error: unknown): ServiceFailure['failure'] {
  if (error instanceof Error) {
    const retryable = (error as { retryable?: unknown }).retryable !== false;
    return { name: error.name, message: error.message, retryable };
  }
  return { name: 'Error', message: String(error), retryable: true };
}

const notProvided = (name: string) => () => {
  throw new Error(`service actor "${name}" was not provided`);
};

export const serviceMachine = setup({
  types: {
    input: {} as ServiceInput,
    context: {} as ServiceContext,
    events: {} as ServiceEvent,
    output: {} as ServiceFailure | { closed: true },
  },
  actions: {
    recordFailure: assign({ failure: (_, params: { error: unknown }) => failureOf(params.error) }),
  },
  actors: {
    open: fromPromise<void>(notProvided('open')),
    watch: fromCallback<ServiceEvent>(() => undefined),
    close: fromPromise<void>(notProvided('close')),
    hold: fromCallback(() => undefined),
  },
}).createMachine({
  id: 'service',
  context: ({ input }) => input,
  invoke: { src: 'hold' },
  initial: 'opening',
  states: {
    opening: {
      invoke: {
        src: 'open',
        onDone: 'running',
        onError: {
          target: 'failed',
          actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { 'bzzz.stop': 'closing' },
    },
    running: {
      tags: ['ready'],
      invoke: { src: 'watch' },
      on: {
        'service.failed': {
          target: 'failed',
          actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error }) },
        },
        'bzzz.stop': 'closing',
      },
    },
    closing: {
      invoke: { src: 'close', onDone: 'closed', onError: 'closed' },
    },
    closed: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => (context.failure ? { failure: context.failure } : { closed: true as const }),
});
