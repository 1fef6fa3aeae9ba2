// The claim effect of a task actor: a lease won on a task that got its outcome meanwhile (its
// last holder reports, then releases) is given back at once, and the forge gets no claim.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { claimLease } from '../../src/actors/task/effects/claim.js';
import type { TaskDeps } from '../../src/actors/task/deps.js';
import { TaskResources } from '../../src/actors/task/resources.js';
import { MemoryClaimStore } from '../../src/adapters/claims/index.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

function setup() {
  const components = { logger: silentLogger(), clock: systemClock };
  const forge = new LocalForge(
    { dir: join(mkdtempSync(join(tmpdir(), 'bzzz-claim-')), 'forge') },
    components,
  );
  const claims = new MemoryClaimStore(components);
  const deps = {
    agent: 'agent-b',
    claims,
    forge,
    leaseTtlMs: 5_000,
    leaseSkewMs: 500,
    ...components,
  } as Partial<TaskDeps>;
  const claim = async (key: string) => {
    const resources = new TaskResources(key, deps as TaskDeps);
    const token = await toPromise(
      createActor(claimLease({ key, deps: deps as TaskDeps, resources }), { input: { key } }).start(),
    );
    return { token, resources };
  };
  return { forge, claims, claim };
}

const holder = (token: number) => ({
  agent: 'agent-a',
  token,
  holder: 'agent-a',
  fence: async () => undefined,
});

describe('claiming a task', () => {
  it('wins an open task and keeps the lease', async () => {
    const { forge, claims, claim } = setup();
    await claims.start();
    const key = await forge.addTask({ title: 'open' });
    const { token, resources } = await claim(key);
    expect(token).toBeGreaterThan(0);
    expect(resources.lease?.holder).toBe('agent-b');
    expect(await claims.claim(key, 'agent-c', 5_000)).toBeNull();
  });

  it('gives back a lease won on a task that already has its outcome, leaving the forge untouched', async () => {
    const { forge, claims, claim } = setup();
    await claims.start();
    const key = await forge.addTask({ title: 'finished by agent-a' });
    const first = await claims.claim(key, 'agent-a', 5_000);
    await forge.markClaimed(key, holder(first!.token));
    await forge.reportComplete(key, { ...holder(first!.token), summary: 'done', pr: 1 });
    await claims.release(first!, 'done');
    const before = (await forge.taskRecord(key)).effects;

    const { token, resources } = await claim(key);
    expect(token).toBeNull();
    expect(resources.lease).toBeUndefined();
    expect((await forge.taskRecord(key)).effects).toEqual(before);
    // the lease went back: another agent could take it at once
    expect(await claims.claim(key, 'agent-c', 5_000)).not.toBeNull();
  });
});
