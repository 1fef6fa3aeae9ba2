import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { HealthMonitor, type HealthCheck } from '../../src/node/health.js';

function monitor(checks: HealthCheck[], clock: SimulatedClock, onCritical: (c: string) => void) {
  return new HealthMonitor(checks, {
    clock,
    logger: silentLogger(),
    defaultIntervalMs: 1_000,
    criticalGraceMs: 5_000,
    onCriticalFailure: onCritical,
  });
}

describe('health monitor', () => {
  it('records status, run time and message of each check', async () => {
    const clock = new SimulatedClock();
    let ok = true;
    const m = monitor(
      [
        {
          name: 'flaky',
          run: () => {
            if (!ok) throw new Error('down');
            return 'fine';
          },
        },
      ],
      clock,
      () => undefined,
    );
    await m.start();
    expect(m.statuses()[0]).toMatchObject({ name: 'flaky', status: 'pass', message: 'fine' });
    expect(m.overall()).toBe('pass');
    ok = false;
    await clock.advance(1_000);
    expect(m.statuses()[0]).toMatchObject({ status: 'fail', message: 'Error: down' });
    expect(m.overall()).toBe('warn');
    await m.stop();
  });

  it('starts a shutdown when a critical check stays failed past the grace period, not before', async () => {
    const clock = new SimulatedClock();
    const tripped: string[] = [];
    const m = monitor(
      [
        {
          name: 'disk',
          critical: true,
          run: () => {
            throw new Error('read-only');
          },
        },
      ],
      clock,
      (c) => tripped.push(c),
    );
    await m.start();
    expect(m.overall()).toBe('fail');
    await clock.advance(4_000);
    expect(tripped).toEqual([]);
    await clock.advance(1_000);
    expect(tripped).toEqual(['disk']);
    await clock.advance(10_000);
    expect(tripped).toEqual(['disk']);
    await m.stop();
  });

  it('does not shut down for a critical check that recovers within the grace period', async () => {
    const clock = new SimulatedClock();
    const tripped: string[] = [];
    let failures = 3;
    const m = monitor(
      [
        {
          name: 'bus',
          critical: true,
          run: () => {
            if (failures-- > 0) throw new Error('disconnected');
            return 'ok';
          },
        },
      ],
      clock,
      (c) => tripped.push(c),
    );
    await m.start();
    await clock.advance(20_000);
    expect(tripped).toEqual([]);
    expect(m.statuses()[0]!.status).toBe('pass');
    await m.stop();
  });

  it('fails a check that hangs past its timeout', async () => {
    const clock = new SimulatedClock();
    const m = monitor(
      [{ name: 'hang', timeoutMs: 500, run: () => new Promise<string>(() => undefined) }],
      clock,
      () => undefined,
    );
    const started = m.start();
    await clock.advance(500);
    await started;
    expect(m.statuses()[0]).toMatchObject({ status: 'fail', message: 'Error: timed out after 500 ms' });
    await m.stop();
  });
});
