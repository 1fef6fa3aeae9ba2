/**
 * The hooks that feed a node's audit log, each on the real port it wraps: the claim store
 * records claims, renewals, releases and losses with the lease's token; the forge records each
 * fenced effect once done or refused (a stale token, with the error's name); a task's
 * escalation records an `escalation` entry with its lease's token.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/system.js';
import type { TaskDeps } from '../../src/actors/task/deps.js';
import { escalate } from '../../src/actors/task/effects/escalate.js';
import { TaskResources } from '../../src/actors/task/resources.js';
import type { AuditInput } from '../../src/adapters/audit/index.js';
import { MemoryClaimStore } from '../../src/adapters/claims/index.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { auditedClaims } from '../../src/node/audited-claims.js';
import { auditedForge } from '../../src/node/audited-forge.js';

const KEY = 'local:demo/app#1';

describe('the audit hooks', () => {
  it('record claims, renewals, releases and losses with their tokens', async () => {
    const clock = new SimulatedClock();
    const recorded: AuditInput[] = [];
    const claims = auditedClaims(new MemoryClaimStore({ clock, logger: silentLogger() }), (i) =>
      recorded.push(i),
    );
    await claims.start();
    const lease = (await claims.claim(KEY, 'agent-1', 1_000))!;
    const renewed = await claims.renew(lease);
    expect(await claims.release(renewed, 'done')).toBe(true);
    expect(await claims.release(renewed, 'again')).toBe(false);
    const second = (await claims.claim(KEY, 'agent-2', 1_000))!;
    await clock.advance(2_000);
    await expect(claims.renew(second)).rejects.toMatchObject({ name: 'LeaseLostError' });
    expect(await claims.claim(KEY, 'agent-3', 1_000)).not.toBeNull();
    expect(recorded.map((r) => [r.kind, r.token, r.data.holder])).toEqual([
      ['claim', lease.token, 'agent-1'],
      ['renewal', lease.token, 'agent-1'],
      ['release', lease.token, 'agent-1'],
      ['loss', lease.token, 'agent-1'],
      ['claim', second.token, 'agent-2'],
      ['loss', second.token, 'agent-2'],
      ['claim', second.token + 1, 'agent-3'],
    ]);
    expect(recorded[5]!.data).toMatchObject({ reason: 'expired', on: 'renew' });
    expect(recorded.every((r) => r.task === KEY)).toBe(true);
  });

  it('record each fenced forge effect, done or refused', async () => {
    const components = { logger: silentLogger(), clock: systemClock };
    const local = new LocalForge(
      { dir: join(mkdtempSync(join(tmpdir(), 'bzzz-audit-forge-')), 'forge') },
      components,
    );
    const recorded: AuditInput[] = [];
    const forge = auditedForge(local, (i) => {
      recorded.push(i);
      return Promise.resolve();
    });
    const key = await local.addTask({ title: 'audited' });
    const fenced = (token: number) => ({ agent: 'a', holder: 'a', token, fence: () => Promise.resolve() });
    await forge.markClaimed(key, fenced(5));
    await forge.reportComplete(key, { ...fenced(5), summary: 'done', pr: null });
    await expect(forge.markClaimed(key, fenced(4))).rejects.toMatchObject({ name: 'StaleTokenError' });
    expect(recorded.map((r) => [r.kind, r.task, r.token, r.data.effect, r.data.outcome])).toEqual([
      ['effect', key, 5, 'claim', 'ok'],
      ['effect', key, 5, 'report', 'ok'],
      ['effect', key, 4, 'claim', 'error'],
    ]);
    expect(recorded[2]!.data.error).toMatch(/^StaleTokenError: /);
    expect(forge.kind).toBe('local');
  });

  it("record a task's escalation with its lease's token", async () => {
    const components = { logger: silentLogger(), clock: systemClock };
    const forge = new LocalForge(
      { dir: join(mkdtempSync(join(tmpdir(), 'bzzz-audit-esc-')), 'forge') },
      components,
    );
    const claims = new MemoryClaimStore(components);
    await claims.start();
    const key = await forge.addTask({ title: 'stuck' });
    const recorded: AuditInput[] = [];
    const published: unknown[] = [];
    const deps = {
      agent: 'agent-1',
      node: 'node-1',
      claims,
      forge,
      leaseTtlMs: 10_000,
      leaseSkewMs: 500,
      escalation: undefined,
      whoosh: undefined,
      system: {
        publish: (_topic: string, message: unknown) => published.push(message),
      } as unknown as ActorSystem,
      audit: (i: AuditInput) => void recorded.push(i),
      ...components,
    } as Partial<TaskDeps> as TaskDeps;
    const resources = new TaskResources(key, deps);
    const lease = (await claims.claim(key, 'agent-1', 10_000))!;
    await resources.adoptLease(lease);
    const task = { key, title: 'stuck', body: '', labels: [], base: 'main', files: [], network: null };
    await toPromise(
      createActor(escalate({ key, deps, resources }), {
        input: { reason: 'RepeatedFailureError: npm test exits 1', history: [], task },
      }).start(),
    );
    expect(recorded).toEqual([
      {
        kind: 'escalation',
        task: key,
        token: lease.token,
        data: {
          agent: 'agent-1',
          reason: 'repeated_failure',
          detail: 'RepeatedFailureError: npm test exits 1',
        },
      },
    ]);
    expect(published).toHaveLength(1);
  });
});
