import { describe, expect, it } from 'vitest';
import { assign, createMachine, setup } from 'xstate';
import {
  ActorSystem,
  AskTimeoutError,
  DeadLetterError,
  MailboxFullError,
  RemoteActorError,
  xstateChild,
  type MailboxMessage,
} from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { Supervisor } from '../../src/supervisor/index.js';

function counterMachine(system: ActorSystem) {
  return setup({
    types: { context: {} as { count: number }, events: {} as MailboxMessage },
    actions: {
      reply: ({ context, event }) => system.reply(event, context.count),
      fail: ({ event }) => system.replyError(event, new Error('nope')),
    },
  }).createMachine({
    context: { count: 0 },
    on: {
      inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
      get: { actions: 'reply' },
      bad: { actions: 'fail' },
      boom: {
        actions: () => {
          throw new Error('boom');
        },
      },
    },
  });
}

describe('mailbox send and ask', () => {
  it('delivers messages in order, asynchronously', async () => {
    const system = new ActorSystem();
    const got: string[] = [];
    system.register('a', (m) => got.push(m.type));
    expect(system.send('a', { type: 'one' })).toBe(true);
    system.send('a', { type: 'two' });
    expect(got).toEqual([]);
    await system.idle();
    expect(got).toEqual(['one', 'two']);
  });

  it('answers ask with the reply data, and rejects with the remote error', async () => {
    const system = new ActorSystem();
    const sup = new Supervisor(
      'root',
      { children: [xstateChild('counter', { logic: counterMachine(system), accept: (m) => m })] },
      {
        system,
        clock: system.clock,
        logger: silentLogger(),
      },
    );
    await sup.start();
    system.send('root/counter', { type: 'inc' });
    system.send('root/counter', { type: 'inc' });
    await expect(system.ask('root/counter', { type: 'get' })).resolves.toBe(2);
    await expect(system.ask('root/counter', { type: 'bad' })).rejects.toBeInstanceOf(RemoteActorError);
    await sup.stop();
  });

  it('turns messages to unknown or stopped actors into dead letters', async () => {
    const dead: string[] = [];
    const system = new ActorSystem(
      {},
      { metrics: { deadLetter: (r) => dead.push(r), mailboxDropped: () => undefined } },
    );
    expect(system.send('nobody', { type: 'x' })).toBe(false);
    await expect(system.ask('nobody', { type: 'y' })).rejects.toBeInstanceOf(DeadLetterError);
    system.register('gone', () => undefined);
    system.suspend('gone');
    system.send('gone', { type: 'queued' });
    system.unregister('gone');
    expect(dead).toEqual(['unknown', 'unknown', 'stopped']);
    expect(system.deadLetters).toBe(3);
  });

  it('times out an ask on the injected clock', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ askTimeoutMs: 1_000 }, { clock });
    system.register('silent', () => undefined);
    const answer = system.ask('silent', { type: 'q' });
    let settled = false;
    answer.catch(() => (settled = true));
    await clock.advance(999);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(answer).rejects.toBeInstanceOf(AskTimeoutError);
  });

  it('drops the newest message when a mailbox is full, and counts it', async () => {
    let dropped = 0;
    const system = new ActorSystem(
      { mailboxCapacity: 3 },
      { metrics: { deadLetter: () => undefined, mailboxDropped: () => dropped++ } },
    );
    const got: string[] = [];
    system.register('slow', (m) => got.push(m.type));
    system.suspend('slow');
    const results = ['1', '2', '3', '4'].map((t) => system.send('slow', { type: t }));
    expect(results).toEqual([true, true, true, false]);
    await expect(system.ask('slow', { type: 'q' })).rejects.toBeInstanceOf(MailboxFullError);
    expect(dropped).toBe(2);
    system.register('slow', (m) => got.push(m.type));
    await system.idle();
    expect(got).toEqual(['1', '2', '3']);
  });

  it('keeps messages sent while an actor restarts and delivers them to its replacement', async () => {
    const system = new ActorSystem();
    const counts: number[] = [];
    const machine = createMachine({
      types: { context: {} as { n: number }, events: {} as MailboxMessage },
      context: { n: 0 },
      on: {
        inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        report: { actions: ({ context }) => counts.push(context.n) },
        boom: {
          actions: () => {
            throw new Error('boom');
          },
        },
      },
    });
    const sup = new Supervisor(
      'root',
      { children: [xstateChild('w', { logic: machine, accept: (m) => m })] },
      {
        system,
        clock: system.clock,
        logger: silentLogger(),
      },
    );
    await sup.start();
    system.send('root/w', { type: 'inc' });
    system.send('root/w', { type: 'boom' });
    system.send('root/w', { type: 'inc' });
    system.send('root/w', { type: 'report' });
    for (let i = 0; i < 5; i++) {
      await system.idle();
      await new Promise((r) => setImmediate(r));
    }
    // the crash lost the first instance's state; the replacement got the later messages
    expect(counts).toEqual([1]);
    await sup.stop();
    expect(system.has('root/w')).toBe(false);
  });

  it('routes a bzzz:// address of this node to the local actor and dead-letters other nodes', async () => {
    const system = new ActorSystem({ nodeId: 'n1' });
    const got: string[] = [];
    system.register('x/y', (m) => got.push(m.type));
    expect(system.send('bzzz://n1/x/y', { type: 'hi' })).toBe(true);
    expect(system.send('bzzz://n2/x/y', { type: 'hi' })).toBe(false);
    await system.idle();
    expect(got).toEqual(['hi']);
  });

  it('hands remote addresses and topics to the transport, and settles a remote reply', async () => {
    const system = new ActorSystem({ nodeId: 'n1' });
    const sent: { to: string; type: string; replyTo?: string; corr?: string }[] = [];
    const published: string[] = [];
    system.setRemote({
      send: (to, message) => {
        sent.push({
          to,
          type: message.type,
          ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          ...(message.corr ? { corr: message.corr } : {}),
        });
        return true;
      },
      publish: (topic, message) => published.push(`${topic}:${message.type}`),
    });
    expect(system.send('bzzz://n2/root/a', { type: 'hello' })).toBe(true);
    const answer = system.ask<string>('bzzz://n2/root/a', { type: 'q' });
    const request = sent[1]!;
    expect(request.replyTo).toBe(`bzzz://n1/$ask/${request.corr!}`);
    system.send(request.replyTo!, { type: 'bzzz.reply', corr: request.corr!, data: 'pong' });
    await expect(answer).resolves.toBe('pong');
    system.publish('coordination', { type: 'task_announcement' });
    expect(published).toEqual(['coordination:task_announcement']);
  });
});

describe('exit signals and topics', () => {
  it('ends an actor abnormally with system.exit, so its supervisor restarts it', async () => {
    const system = new ActorSystem();
    let starts = 0;
    const machine = createMachine({ on: { ping: {} } });
    const sup = new Supervisor(
      'root',
      { children: [xstateChild('w', { logic: machine, accept: (m) => m, onStarted: () => starts++ })] },
      { system, clock: system.clock, logger: silentLogger() },
    );
    await sup.start();
    expect(system.exit('root/w', new Error('nemesis'))).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(starts).toBe(2);
    expect(system.exit('root/nobody', new Error('x'))).toBe(false);
    await sup.stop();
  });

  it('publishes to every subscriber of a topic and forgets stopped ones', async () => {
    const system = new ActorSystem();
    const got: string[] = [];
    system.register('a', (m) => got.push(`a:${m.type}`));
    system.register('b', (m) => got.push(`b:${m.type}`));
    system.subscribe('news', 'a');
    system.subscribe('news', 'b');
    expect(system.publish('news', { type: 'x' })).toBe(2);
    await system.idle();
    system.unregister('b');
    expect(system.publish('news', { type: 'y' })).toBe(1);
    expect(system.publish('other', { type: 'z' })).toBe(0);
    await system.idle();
    expect(got).toEqual(['a:x', 'b:x', 'a:y']);
  });
});
