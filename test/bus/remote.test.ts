/**
 * Remote routing over the local bus: `send`, `ask` and `publish` reach actors of another node
 * as they would local ones, with the same timeout and dead-letter behaviour, and replies are
 * accepted only from the node that was asked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindRemote, type RemoteBinding } from '../../src/actors/remote.js';
import { ActorSystem } from '../../src/actors/system.js';
import type { MailboxMessage } from '../../src/actors/message.js';
import { createLocalBus, LocalHub, type Bus, type Delivery } from '../../src/adapters/bus/index.js';
import { SimulatedClock, flushMicrotasks } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  actorSubject,
  coordinationSubject,
  createEnvelope,
  formatAddress,
  generateIdentity,
  sealEnvelope,
  type Identity,
  type RejectReason,
} from '../../src/protocol/index.js';

interface Node {
  identity: Identity;
  system: ActorSystem;
  bus: Bus;
  binding: RemoteBinding;
  rejected: RejectReason[];
}

describe('remote routing', () => {
  let clock: SimulatedClock;
  let hub: LocalHub;
  let a: Node;
  let b: Node;

  const node = (): Node => {
    const identity = generateIdentity();
    const rejected: RejectReason[] = [];
    const system = new ActorSystem({ nodeId: identity.nodeId, askTimeoutMs: 5000 }, { clock });
    const components = {
      clock,
      logger: silentLogger(),
      rejected: (r: RejectReason) => void rejected.push(r),
    };
    const bus = createLocalBus(
      hub,
      { cluster: 'test', nodeId: identity.nodeId, privateKey: identity.privateKey },
      components,
    );
    const binding = bindRemote(system, bus, components);
    return { identity, system, bus, binding, rejected };
  };

  /** `from`'s answer to a's first ask (corr `a1`), sent to the per-ask address older nodes use. */
  const injectOldStyleReply = (from: Node, payload: string): void => {
    const to = { node: a.identity.nodeId, path: ['$ask', 'a1'] };
    const reply = createEnvelope(
      {
        type: 'actor_reply',
        from: from.identity.nodeId,
        to: formatAddress(to),
        data: { corr: 'a1', ok: true, payload },
      },
      clock,
    );
    hub.inject(actorSubject('test', to), sealEnvelope(reply, from.identity.privateKey).bytes);
  };

  beforeEach(() => {
    clock = new SimulatedClock();
    hub = new LocalHub();
    a = node();
    b = node();
  });
  afterEach(() => {
    a.binding.close();
    b.binding.close();
  });

  it('sends to an actor on another node', async () => {
    const got: MailboxMessage[] = [];
    b.system.register('work/inbox', (m) => void got.push(m));
    expect(a.system.send(`bzzz://${b.identity.nodeId}/work/inbox`, { type: 'note', data: { n: 1 } })).toBe(
      true,
    );
    await flushMicrotasks();
    expect(got).toEqual([{ type: 'note', data: { n: 1 } }]);
  });

  it('asks an actor on another node and gets its reply or its error', async () => {
    b.system.register('echo', (m) => {
      if (m.type === 'fail')
        b.system.replyError(m, Object.assign(new Error('no way'), { name: 'NopeError' }));
      else b.system.reply(m, { echoed: m.data });
    });
    const echo = `bzzz://${b.identity.nodeId}/echo`;
    await expect(a.system.ask(echo, { type: 'hello', data: [1, 'two'] })).resolves.toEqual({
      echoed: [1, 'two'],
    });
    await expect(a.system.ask(echo, { type: 'fail' })).rejects.toMatchObject({
      name: 'RemoteActorError',
      remoteName: 'NopeError',
    });
  });

  it('carries the sending actor as an address the receiver can send back to', async () => {
    const atA: MailboxMessage[] = [];
    a.system.register('work/asker', (m) => void atA.push(m));
    b.system.register('echo', (m) => {
      if (m.from !== undefined) b.system.send(m.from, { type: 'pong', data: m.data, from: 'echo' });
    });
    const echo = `bzzz://${b.identity.nodeId}/echo`;
    a.system.send(echo, { type: 'ping', data: 1, from: 'work/asker' });
    // a sender that is no valid address is left out; the message still goes
    a.system.send(echo, { type: 'ping', data: 2, from: 'bad path/with space' });
    await flushMicrotasks();
    expect(atA).toEqual([{ type: 'pong', data: 1, from: `bzzz://${b.identity.nodeId}/echo` }]);
    expect(a.rejected).toEqual([]);
    expect(b.rejected).toEqual([]);
  });

  it("answers every remote ask at the node's one ask address, with the ask's corr", async () => {
    const requests: { to?: string; replyTo?: string; corr?: string }[] = [];
    b.bus.subscribe({ kind: 'mailbox' }, ({ envelope }) => {
      if (envelope.type === 'actor_message') requests.push({ ...envelope.data, to: envelope.to });
    });
    b.system.register('echo', (m) => b.system.reply(m, m.data));
    const echo = `bzzz://${b.identity.nodeId}/echo`;
    await expect(a.system.ask(echo, { type: 'one', data: 1 })).resolves.toBe(1);
    await expect(a.system.ask(echo, { type: 'two', data: 2 })).resolves.toBe(2);
    const askAddress = formatAddress({ node: a.identity.nodeId, path: ['$ask'] });
    expect(requests.map((r) => r.replyTo)).toEqual([askAddress, askAddress]);
    expect(new Set(requests.map((r) => r.corr)).size).toBe(2);
  });

  it('still settles a reply sent to the per-ask address older nodes answer at', async () => {
    b.system.register('slow', () => undefined);
    const pending = a.system.ask(`bzzz://${b.identity.nodeId}/slow`, { type: 'hello' }, { timeoutMs: 1000 });
    await flushMicrotasks();
    injectOldStyleReply(b, 'old style');
    await expect(pending).resolves.toBe('old style');
    expect(a.rejected).toEqual([]);
  });

  it("forwards a request that keeps another ask's replyTo with that address in full", async () => {
    const forwarded: (string | undefined)[] = [];
    b.bus.subscribe({ kind: 'mailbox' }, ({ envelope }) => {
      if (envelope.type === 'actor_message') forwarded.push(envelope.data.replyTo);
    });
    b.system.register('sink', () => undefined);
    // replyTo names ask a7 but the message carries another corr: only the full form is right
    const replyTo = `bzzz://${a.identity.nodeId}/$ask/a7`;
    a.system.send(`bzzz://${b.identity.nodeId}/sink`, { type: 'fwd', replyTo, corr: 'x9' });
    await flushMicrotasks();
    expect(forwarded).toEqual([formatAddress({ node: a.identity.nodeId, path: ['$ask', 'a7'] })]);
  });

  it('fails an ask to a missing remote actor at once, and times out one that never answers', async () => {
    const missing = a.system
      .ask(`bzzz://${b.identity.nodeId}/nobody`, { type: 'hello' })
      .catch((e: unknown) => {
        throw e;
      });
    const settled = missing.then(
      () => 'resolved',
      () => 'rejected',
    );
    await flushMicrotasks();
    expect(await settled).toBe('rejected'); // before any time passed: not a timeout
    await expect(missing).rejects.toMatchObject({ name: 'RemoteActorError', remoteName: 'DeadLetterError' });
    expect(b.system.deadLetters).toBe(1);

    b.system.register('silent', () => undefined);
    const silent = a.system.ask(`bzzz://${b.identity.nodeId}/silent`, { type: 'hello' }, { timeoutMs: 2000 });
    const outcome = silent.catch((e: unknown) => e);
    await clock.advance(1999);
    await clock.advance(1);
    expect(await outcome).toMatchObject({ name: 'AskTimeoutError' });
  });

  it('publishes topics to other nodes: protocol messages as themselves, others wrapped', async () => {
    const coordination: MailboxMessage[] = [];
    const task: MailboxMessage[] = [];
    b.system.register('view', (m) => void coordination.push(m));
    b.system.register('helper', (m) => void task.push(m));
    b.system.subscribe('coordination', 'view');
    b.system.subscribe('hmmm.task.local:demo/app#3', 'helper');
    b.system.subscribe('local-only', 'view');
    const beat = { node: a.identity.nodeId, status: 'ready', load: 1, maxTasks: 3, tasks: [] };
    a.system.publish('coordination', { type: 'availability_broadcast', data: beat });
    a.system.publish('coordination', {
      type: 'task_progress',
      data: { key: 'local:demo/app#3', state: 'working', agent: 'x' },
    });
    a.system.publish('hmmm.task.local:demo/app#3', {
      type: 'task_help_request',
      data: { key: 'local:demo/app#3', question: 'why?' },
    });
    a.system.publish('local-only', { type: 'secret' });
    a.system.publish('coordination', { type: 'sentinel' });
    await flushMicrotasks();
    expect(coordination).toEqual([
      { type: 'availability_broadcast', data: beat },
      { type: 'task_progress', data: { key: 'local:demo/app#3', state: 'working', agent: 'x' } },
      { type: 'sentinel', data: null },
    ]);
    expect(task).toEqual([
      { type: 'task_help_request', data: { key: 'local:demo/app#3', question: 'why?' } },
    ]);
  });

  it("carries any other publication as a topic_message on its own topic's channel", async () => {
    const seen: [string, string, unknown][] = [];
    const record = ({ envelope, channel }: Delivery): void => {
      const task = channel.kind === 'task' ? channel.task : channel.kind;
      seen.push([task, envelope.type, envelope.data]);
    };
    b.bus.subscribe({ kind: 'coordination' }, record);
    b.bus.subscribe({ kind: 'tasks' }, record);
    const topics = ['coordination', 'hmmm.task.local:demo/app#3', 'hmmm.task.local:demo/app#4'];
    for (let round = 0; round < 2; round++) {
      for (const topic of topics) a.system.publish(topic, { type: 'note', data: round });
    }
    await flushMicrotasks();
    const expected = (round: number) =>
      ['coordination', 'local:demo/app#3', 'local:demo/app#4'].map((where) => [
        where,
        'topic_message',
        { payload: round, type: 'note' },
      ]);
    expect(seen).toEqual([...expected(0), ...expected(1)]);
  });

  it('still takes a broadcast wrapped in an actor_message, as older nodes sent them', async () => {
    const got: MailboxMessage[] = [];
    b.system.register('view', (m) => void got.push(m));
    b.system.subscribe('coordination', 'view');
    const to = formatAddress({ node: a.identity.nodeId, path: ['$topic', 'coordination'] });
    const old = createEnvelope(
      { type: 'actor_message', from: a.identity.nodeId, data: { to, type: 'note', payload: { n: 1 } } },
      clock,
    );
    hub.inject(coordinationSubject('test'), sealEnvelope(old, a.identity.privateKey).bytes);
    await flushMicrotasks();
    expect(got).toEqual([{ type: 'note', data: { n: 1 } }]);
    expect(b.rejected).toEqual([]);
  });

  it('accepts a reply only from the node that was asked', async () => {
    b.system.register('slow', () => undefined);
    const c = node();
    const pending = a.system.ask(`bzzz://${b.identity.nodeId}/slow`, { type: 'hello' }, { timeoutMs: 1000 });
    const outcome = pending.catch((e: unknown) => e);
    await flushMicrotasks();
    // c forges an answer to a's pending ask (its corr is easy to guess)
    injectOldStyleReply(c, 'forged');
    await flushMicrotasks();
    expect(a.rejected).toEqual(['bad_sender']);
    await clock.advance(1000);
    expect(await outcome).toMatchObject({ name: 'AskTimeoutError' });
    c.binding.close();
  });

  it('counts an unsendable message as a dead letter, never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(a.system.send(`bzzz://${b.identity.nodeId}/x`, { type: 'bad', data: cyclic })).toBe(false);
    expect(a.system.send(`bzzz://${b.identity.nodeId}/x`, { type: 'bad', data: () => 1 })).toBe(false);
    expect(a.system.deadLetters).toBe(2);
  });
});
