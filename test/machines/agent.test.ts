import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { agentMachine, capabilitiesMatch } from '../../src/machines/agent.js';
import type { TaskAnnouncement } from '../../src/protocol/messages/tasks.js';

function task(key: string, labels: string[] = ['bzzz-task']): TaskAnnouncement {
  return { task: key, title: key, body: '', labels, repository: 'demo/app' };
}

function agent(maxTasks: number, capabilities: string[]) {
  const started: string[] = [];
  const actor = createActor(
    agentMachine.provide({ actions: { startTask: (_, t: TaskAnnouncement) => void started.push(t.task) } }),
    { input: { name: 'a', maxTasks, capabilities } },
  ).start();
  return { actor, started };
}

describe('agent machine', () => {
  it('takes tasks up to its capacity, each once, and frees a slot when one ends', () => {
    const { actor, started } = agent(2, []);
    for (const key of ['t1', 't2', 't3', 't1']) actor.send({ type: 'task.offered', task: task(key) });
    expect(started).toEqual(['t1', 't2']);
    actor.send({ type: 'task.ended', task: 't1', state: 'done' });
    actor.send({ type: 'task.offered', task: task('t3') });
    expect(started).toEqual(['t1', 't2', 't3']);
    expect(actor.getSnapshot().context.running).toEqual(['t2', 't3']);
  });

  it('takes only tasks whose skill labels its capabilities cover', () => {
    const { actor, started } = agent(5, ['docs']);
    actor.send({ type: 'task.offered', task: task('docs', ['bzzz-task', 'docs']) });
    actor.send({ type: 'task.offered', task: task('rust', ['bzzz-task', 'rust']) });
    actor.send({ type: 'task.offered', task: task('plain', ['bzzz-task']) });
    expect(started).toEqual(['docs', 'plain']);
  });

  it('matches capabilities: none or * take anything, otherwise every skill label is needed', () => {
    expect(capabilitiesMatch([], ['rust'])).toBe(true);
    expect(capabilitiesMatch(['*'], ['rust'])).toBe(true);
    expect(capabilitiesMatch(['rust'], ['rust', 'docs'])).toBe(false);
    expect(capabilitiesMatch(['rust', 'docs'], ['rust', 'docs', 'in-progress'])).toBe(true);
  });
});
