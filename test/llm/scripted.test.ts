// The scripted reasoner: the shared compliance suite, plus what only it does (the bzzz-steps block).
import { describe, expect, it } from 'vitest';
import { createReasoner, parseScriptedSteps } from '../../src/adapters/llm/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { reasonerCompliance } from '../compliance/reasoner.js';

const fence = '```';

reasonerCompliance('scripted', async () => {
  const clock = new SimulatedClock();
  return {
    reasoner: createReasoner({ backend: 'scripted' }, { clock, logger: silentLogger() }),
    clock,
    script: (commands) => ({
      key: 'local:demo/app#1',
      title: 'Scripted task',
      body: `Do the thing.\n\n${fence}bzzz-steps\n${commands.join('\n')}\n${fence}\n`,
    }),
    close: async () => undefined,
  };
});

describe('scripted reasoner', () => {
  const reasoner = createReasoner(
    { backend: 'scripted' },
    { clock: new SimulatedClock(), logger: silentLogger() },
  );
  const task = (body: string) => ({ key: 'local:demo/app#2', title: 't', body });

  it('reads the first bzzz-steps block, skipping blank lines and comments', () => {
    const body = [
      'Intro text.',
      `${fence}sh`,
      'echo not a step',
      fence,
      `${fence}bzzz-steps`,
      '# create the file',
      '  echo hi > hi.txt  ',
      '',
      "grep -q hi hi.txt && echo 'found # not a comment'",
      fence,
      `${fence}bzzz-steps`,
      'echo second block ignored',
      fence,
    ].join('\n');
    expect(parseScriptedSteps(body)).toEqual([
      'echo hi > hi.txt',
      "grep -q hi hi.txt && echo 'found # not a comment'",
    ]);
  });

  it('fails the task when a step exited non-zero', async () => {
    const t = task(`${fence}bzzz-steps\nfalse\necho never\n${fence}`);
    await expect(
      reasoner.next({
        task: t,
        history: [{ kind: 'command', command: 'false', exitCode: 1, stdout: '', stderr: '' }],
      }),
    ).rejects.toMatchObject({
      name: 'ScriptedStepFailedError',
      step: 1,
      command: 'false',
      exitCode: 1,
      retryable: false,
    });
  });

  it('refuses a task without steps', async () => {
    await expect(reasoner.next({ task: task('Just prose, no steps.'), history: [] })).rejects.toMatchObject({
      name: 'ScriptMissingError',
    });
    await expect(
      reasoner.next({ task: task(`${fence}bzzz-steps\n# only a comment\n${fence}`), history: [] }),
    ).rejects.toMatchObject({
      name: 'ScriptMissingError',
    });
  });

  it('is deterministic: the same input always gives the same step', async () => {
    const t = task(`${fence}bzzz-steps\necho a\necho b\n${fence}`);
    const history = [{ kind: 'command' as const, command: 'echo a', exitCode: 0, stdout: 'a\n', stderr: '' }];
    const first = await reasoner.next({ task: t, history });
    const second = await reasoner.next({ task: t, history });
    expect(first).toEqual(second);
    expect(first.decision).toEqual({ kind: 'command', command: 'echo b' });
    expect(first.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
});
