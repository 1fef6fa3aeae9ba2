import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { NonRetryableError } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  ChildFailedError,
  RestartIntensityError,
  StartFailedError,
  Supervisor,
  supervisorSpec,
  type ExitReason,
  type SupervisorInit,
} from '../../src/supervisor/index.js';
import { fakeChild, Journal } from '../helpers/fake-child.js';

function setup(init: SupervisorInit) {
  const clock = new SimulatedClock();
  const system = new ActorSystem({}, { clock });
  const supervisor = new Supervisor('root', init, {
    system,
    clock,
    logger: silentLogger(),
    random: () => 0.5,
  });
  const exits: ExitReason[] = [];
  supervisor.onExit((r) => exits.push(r));
  return { clock, system, supervisor, exits };
}

describe('supervisor strategies', () => {
  it('one_for_one restarts only the crashed child', async () => {
    const j = new Journal();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => fakeChild(id, j));
    const { supervisor, clock } = setup({ strategy: 'one_for_one', children: [a!.spec, b!.spec, c!.spec] });
    await supervisor.start();
    j.clear();
    b!.current!.crash();
    await clock.tick();
    expect(j.events).toEqual(['crash b', 'start b']);
    expect([a!.starts, b!.starts, c!.starts]).toEqual([1, 2, 1]);
    expect(a!.current!.exited).toBe(false);
  });

  it('one_for_all stops the others in reverse order and restarts all in order', async () => {
    const j = new Journal();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => fakeChild(id, j));
    const { supervisor, clock } = setup({ strategy: 'one_for_all', children: [a!.spec, b!.spec, c!.spec] });
    await supervisor.start();
    j.clear();
    b!.current!.crash();
    await clock.tick();
    expect(j.events).toEqual(['crash b', 'stop c', 'stop a', 'start a', 'start b', 'start c']);
  });

  it('rest_for_one restarts the crashed child and those started after it', async () => {
    const j = new Journal();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => fakeChild(id, j));
    const { supervisor, clock } = setup({
      strategy: 'rest_for_one',
      children: [a!.spec, b!.spec, c!.spec, d!.spec],
    });
    await supervisor.start();
    j.clear();
    b!.current!.crash();
    await clock.tick();
    expect(j.events).toEqual(['crash b', 'stop d', 'stop c', 'start b', 'start c', 'start d']);
    expect(a!.starts).toBe(1);
  });
});

describe('restart types', () => {
  it('restarts permanent children after any exit, transient only after a crash, temporary never', async () => {
    const j = new Journal();
    const p = fakeChild('p', j, { restart: 'permanent' });
    const t = fakeChild('t', j, { restart: 'transient' });
    const t2 = fakeChild('t2', j, { restart: 'transient' });
    const tmp = fakeChild('tmp', j, { restart: 'temporary' });
    const { supervisor, clock } = setup({
      children: [p.spec, t.spec, t2.spec, tmp.spec],
      intensity: { maxRestarts: 10 },
    });
    await supervisor.start();
    p.current!.finish();
    t.current!.finish();
    t2.current!.crash();
    tmp.current!.crash();
    await clock.tick();
    expect([p.starts, t.starts, t2.starts, tmp.starts]).toEqual([2, 1, 2, 1]);
    expect(supervisor.whichChildren().map((c) => `${c.id}:${c.state}`)).toEqual([
      'p:running',
      't:stopped',
      't2:running',
    ]);
  });

  it('does not restart a child whose error says retrying cannot help, and fails for a permanent one', async () => {
    const j = new Journal();
    const p = fakeChild('p', j, { restart: 'permanent' });
    const { supervisor, clock, exits } = setup({ children: [p.spec], intensity: { maxRestarts: 10 } });
    await supervisor.start();
    p.current!.crash(new NonRetryableError('port in use'));
    await clock.tick();
    expect(p.starts).toBe(1);
    expect(exits).toHaveLength(1);
    const reason = exits[0]!;
    expect(reason.kind === 'error' && reason.error).toBeInstanceOf(ChildFailedError);
  });

  it('removes a transient dynamic child that fails for good, and keeps the supervisor running', async () => {
    const j = new Journal();
    const { supervisor, clock, exits } = setup({ strategy: 'dynamic' });
    await supervisor.start();
    const task = fakeChild('task', j, { restart: 'transient' });
    await supervisor.startChild(task.spec);
    task.current!.crash(new NonRetryableError('hostile task'));
    await clock.tick();
    expect(task.starts).toBe(1);
    expect(supervisor.countChildren()).toBe(0);
    expect(exits).toHaveLength(0);
  });
});

describe('restart intensity and backoff', () => {
  it('gives up after too many restarts in the period, stopping its children in reverse order', async () => {
    const j = new Journal();
    const a = fakeChild('a', j);
    const b = fakeChild('b', j);
    const { supervisor, clock, exits } = setup({
      children: [a.spec, b.spec],
      intensity: { maxRestarts: 2, periodMs: 5_000 },
      backoff: { initialMs: 10, jitter: 0 },
    });
    await supervisor.start();
    b.current!.crash();
    await clock.tick();
    b.current!.crash();
    await clock.advance(10);
    expect(b.starts).toBe(3);
    j.clear();
    b.current!.crash();
    await clock.advance(100);
    expect(b.starts).toBe(3);
    expect(j.events).toEqual(['crash b', 'stop a']);
    expect(exits).toHaveLength(1);
    expect(exits[0]!.kind === 'error' && exits[0]!.error).toBeInstanceOf(RestartIntensityError);
  });

  it('allows the same number of restarts again once the period has passed', async () => {
    const j = new Journal();
    const a = fakeChild('a', j);
    const { supervisor, clock, exits } = setup({
      children: [a.spec],
      intensity: { maxRestarts: 2, periodMs: 1_000 },
      backoff: { initialMs: 10, jitter: 0, resetAfterMs: 500 },
    });
    await supervisor.start();
    for (let i = 0; i < 6; i++) {
      a.current!.crash();
      await clock.advance(600);
    }
    expect(a.starts).toBe(7);
    expect(exits).toHaveLength(0);
  });

  it('restarts at once the first time, then backs off exponentially in a crash loop', async () => {
    const j = new Journal();
    const a = fakeChild('a', j);
    const { supervisor, clock } = setup({
      children: [a.spec],
      intensity: { maxRestarts: 100, periodMs: 60_000 },
      backoff: { initialMs: 100, maxMs: 1_000, jitter: 0 },
    });
    await supervisor.start();
    a.current!.crash();
    await clock.tick();
    expect(a.starts).toBe(2);
    a.current!.crash();
    await clock.advance(99);
    expect(a.starts).toBe(2);
    await clock.advance(1);
    expect(a.starts).toBe(3);
    a.current!.crash();
    await clock.advance(199);
    expect(a.starts).toBe(3);
    await clock.advance(1);
    expect(a.starts).toBe(4);
  });

  it('escalates a failure through nested supervisors up to the root', async () => {
    const j = new Journal();
    const worker = fakeChild('worker', j);
    const other = fakeChild('other', j);
    const mid = supervisorSpec('mid', {
      children: [worker.spec],
      intensity: { maxRestarts: 1, periodMs: 10_000 },
    });
    const { supervisor, clock, exits } = setup({
      children: [other.spec, mid],
      intensity: { maxRestarts: 1, periodMs: 10_000 },
      backoff: { initialMs: 1, jitter: 0 },
    });
    await supervisor.start();
    for (let i = 0; i < 6 && exits.length === 0; i++) {
      worker.current!.crash();
      await clock.advance(50);
    }
    expect(exits).toHaveLength(1);
    const reason = exits[0]!;
    expect(reason.kind).toBe('error');
    expect(reason.kind === 'error' && reason.error).toBeInstanceOf(RestartIntensityError);
    expect(reason.kind === 'error' && reason.error).toMatchObject({ supervisor: 'root' });
    expect(j.events.at(-1)).toBe('stop other');
  });
});

describe('ordered start and stop', () => {
  it('starts each child only after the one before it is ready', async () => {
    const j = new Journal();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const a = fakeChild('a', j, { startGate: () => gate });
    const b = fakeChild('b', j);
    const { supervisor } = setup({ children: [a.spec, b.spec] });
    const started = supervisor.start();
    await new Promise((r) => setImmediate(r));
    expect(j.events).toEqual(['start a']);
    open();
    await started;
    expect(j.events).toEqual(['start a', 'start b']);
  });

  it('stops in reverse order and kills a child that ignores stop after its timeout', async () => {
    const j = new Journal();
    const a = fakeChild('a', j);
    const stubborn = fakeChild('stubborn', j, { ignoreStop: true, shutdown: 2_000 });
    const c = fakeChild('c', j);
    const { supervisor, clock, exits } = setup({ children: [a.spec, stubborn.spec, c.spec] });
    await supervisor.start();
    j.clear();
    const stopped = supervisor.stop();
    await clock.advance(1_999);
    expect(j.events).toEqual(['stop c', 'stop stubborn']);
    await clock.advance(1);
    await stopped;
    expect(j.events).toEqual(['stop c', 'stop stubborn', 'kill stubborn', 'stop a']);
    expect(exits).toEqual([{ kind: 'shutdown' }]);
  });

  it('kills a brutal_kill child without asking it to stop', async () => {
    const j = new Journal();
    const a = fakeChild('a', j, { shutdown: 'brutal_kill' });
    const { supervisor } = setup({ children: [a.spec] });
    await supervisor.start();
    j.clear();
    await supervisor.stop();
    expect(j.events).toEqual(['kill a']);
  });

  it('fails start when a child crashes while starting, stopping those already started', async () => {
    const j = new Journal();
    const a = fakeChild('a', j);
    const b = fakeChild('b', j);
    const bad = fakeChild('bad', j, { failStart: () => true });
    const { supervisor, exits } = setup({ children: [a.spec, b.spec, bad.spec] });
    await expect(supervisor.start()).rejects.toBeInstanceOf(StartFailedError);
    expect(j.events).toEqual(['start a', 'start b', 'start bad', 'start-failed bad', 'stop b', 'stop a']);
    expect(exits[0]!.kind).toBe('error');
  });

  it('retries a child that crashes while restarting, with backoff, within the intensity', async () => {
    const j = new Journal();
    const flaky = fakeChild('flaky', j, { failStart: (n) => n === 2 || n === 3 });
    const { supervisor, clock, exits } = setup({
      children: [flaky.spec],
      intensity: { maxRestarts: 5, periodMs: 10_000 },
      backoff: { initialMs: 10, jitter: 0 },
    });
    await supervisor.start();
    flaky.current!.crash();
    await clock.advance(1_000);
    expect(flaky.starts).toBe(4);
    expect(supervisor.whichChildren()[0]!.state).toBe('running');
    expect(exits).toHaveLength(0);
  });
});

describe('dynamic children', () => {
  it('starts, restarts and stops many children', async () => {
    const j = new Journal();
    const { supervisor, clock } = setup({ strategy: 'dynamic', intensity: { maxRestarts: 100 } });
    await supervisor.start();
    const children = Array.from({ length: 1_000 }, (_, i) => fakeChild(`t${i}`, j, { restart: 'transient' }));
    await Promise.all(children.map((c) => supervisor.startChild(c.spec)));
    expect(supervisor.countChildren()).toBe(1_000);
    children[500]!.current!.crash();
    children[7]!.current!.finish();
    await clock.tick();
    expect(children[500]!.starts).toBe(2);
    expect(supervisor.countChildren()).toBe(999);
    await supervisor.stop();
    expect(children.every((c) => c.current!.exited)).toBe(true);
  });

  it('refuses a duplicate child id', async () => {
    const j = new Journal();
    const { supervisor } = setup({ strategy: 'dynamic' });
    await supervisor.start();
    await supervisor.startChild(fakeChild('x', j).spec);
    await expect(supervisor.startChild(fakeChild('x', j).spec)).rejects.toThrow(/already in use/);
  });
});
