/**
 * Children for supervisor tests whose every start, stop and crash is recorded in a shared
 * journal, so a test can assert the exact order of events.
 */
import {
  ExitSignal,
  SHUTDOWN,
  type ChildSpec,
  type RestartType,
  type RunningChild,
  type Shutdown,
} from '../../src/supervisor/index.js';

export class Journal {
  readonly events: string[] = [];
  add(event: string): void {
    this.events.push(event);
  }
  clear(): void {
    this.events.length = 0;
  }
}

export interface FakeInstance extends RunningChild {
  readonly id: string;
  readonly n: number;
  crash(error?: Error): void;
  finish(): void;
  readonly exited: boolean;
}

export interface FakeOptions {
  restart?: RestartType;
  shutdown?: Shutdown;
  type?: 'worker' | 'supervisor';
  /** Throws from start when it returns true (given the start number, 1-based). */
  failStart?: (n: number) => boolean;
  /** Start resolves only when this resolves. */
  startGate?: () => Promise<void>;
  /** Never completes a graceful stop. */
  ignoreStop?: boolean;
}

export interface FakeChild {
  spec: ChildSpec;
  instances: FakeInstance[];
  readonly current: FakeInstance | undefined;
  readonly starts: number;
}

export function fakeChild(id: string, journal: Journal, options: FakeOptions = {}): FakeChild {
  const instances: FakeInstance[] = [];
  let starts = 0;
  const spec: ChildSpec = {
    id,
    restart: options.restart ?? 'permanent',
    shutdown: options.shutdown ?? 1_000,
    type: options.type ?? 'worker',
    start: async () => {
      const n = ++starts;
      journal.add(`start ${id}`);
      if (options.startGate) await options.startGate();
      if (options.failStart?.(n)) {
        journal.add(`start-failed ${id}`);
        throw new Error(`${id} failed to start`);
      }
      const exit = new ExitSignal();
      const instance: FakeInstance = {
        id,
        n,
        get exited() {
          return exit.exited;
        },
        stop: async () => {
          if (exit.exited) return;
          journal.add(`stop ${id}`);
          if (options.ignoreStop) {
            await new Promise<never>(() => undefined);
          }
          exit.fire(SHUTDOWN);
        },
        kill: () => {
          if (exit.exited) return;
          journal.add(`kill ${id}`);
          exit.fire(SHUTDOWN);
        },
        onExit: (listener) => exit.listen(listener),
        crash: (error = new Error(`${id} crashed`)) => {
          journal.add(`crash ${id}`);
          exit.fire({ kind: 'error', error });
        },
        finish: () => {
          journal.add(`finish ${id}`);
          exit.fire({ kind: 'normal' });
        },
      };
      instances.push(instance);
      return instance;
    },
  };
  return {
    spec,
    instances,
    get current() {
      return instances.at(-1);
    },
    get starts() {
      return starts;
    },
  };
}
