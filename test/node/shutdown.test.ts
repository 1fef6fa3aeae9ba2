import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/log.js';
import { ShutdownController } from '../../src/node/shutdown.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

function stubborn() {
  return { stop: () => new Promise<void>(() => undefined), stuck: () => ['root/work/tasks/t1'] };
}

describe('graceful shutdown', () => {
  it('exits 0 once the tree has stopped', async () => {
    const { logger } = capture();
    const clock = new SimulatedClock();
    const c = new ShutdownController(
      { stop: () => Promise.resolve(), stuck: () => [] },
      { clock, logger, timeoutMs: 1_000 },
    );
    c.signal('SIGTERM');
    await expect(c.exitCode).resolves.toBe(0);
  });

  it('forces exit 1 on a second signal and names the child that did not stop', async () => {
    const { logger, lines } = capture();
    const clock = new SimulatedClock();
    const c = new ShutdownController(stubborn(), { clock, logger, timeoutMs: 30_000 });
    c.signal('SIGTERM');
    c.signal('SIGINT');
    await expect(c.exitCode).resolves.toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(lines.some((l) => l.includes('second SIGINT') && l.includes('root/work/tasks/t1'))).toBe(true);
  });

  it('forces exit 1 when the timeout passes and names the child that did not stop', async () => {
    const { logger, lines } = capture();
    const clock = new SimulatedClock();
    const c = new ShutdownController(stubborn(), { clock, logger, timeoutMs: 30_000 });
    let code: number | undefined;
    void c.exitCode.then((v) => (code = v));
    c.request('SIGTERM', 0);
    await clock.advance(29_999);
    expect(code).toBeUndefined();
    await clock.advance(1);
    expect(code).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(lines.some((l) => l.includes('timed out') && l.includes('root/work/tasks/t1'))).toBe(true);
  });
});
