/**
 * The series of the one-agent-per-task guarantee (issue 13): tasks by outcome and state, the
 * leases this node holds, renews and loses, contended claims, fenced effects the forge
 * refused, and the time commands take in sandboxes. Every label value known in advance starts
 * at 0, so `rate()` and alerts work from the first scrape.
 */
import { FENCED_EFFECTS } from '../adapters/forge/index.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TASK_OUTCOMES, TASK_STATES } from '../protocol/fields.js';

/** Why a lease is no longer held (the claim port's `LeaseLostReason`). */
export const LEASE_LOST_REASONS = ['expired', 'released', 'taken', 'stopped'] as const;
/** The forge effects a fencing token guards. */
export const SANDBOX_BACKENDS = ['docker', 'bwrap', 'plain'] as const;

export function taskSeries(registers: Registry[]) {
  const total = new Counter({
    name: 'bzzz_tasks_total',
    help: "Tasks this node's agents brought to an outcome, by outcome",
    labelNames: ['outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'bzzz_task_duration_seconds',
    help: 'Time from an agent of this node taking a task up to its outcome, by outcome',
    labelNames: ['outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers,
  });
  for (const outcome of TASK_OUTCOMES) {
    total.inc({ outcome }, 0);
    duration.zero({ outcome });
  }
  const states = new Gauge({
    name: 'bzzz_tasks',
    help: "Tasks whose latest state was reported by this node's agents, by state",
    labelNames: ['state'],
    registers,
  });
  for (const state of TASK_STATES) states.set({ state }, 0);
  return { total, duration, states };
}

/** `held` is read at each scrape. */
export function leaseSeries(registers: Registry[], held: () => number) {
  const heldGauge = new Gauge({
    name: 'bzzz_leases_held',
    help: "Task leases this node's agents hold now",
    registers,
    collect() {
      this.set(held());
    },
  });
  const renewals = new Counter({
    name: 'bzzz_lease_renewals_total',
    help: 'Task lease renewals that succeeded',
    registers,
  });
  const lost = new Counter({
    name: 'bzzz_leases_lost_total',
    help: 'Task leases lost while held, by reason',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of LEASE_LOST_REASONS) lost.inc({ reason }, 0);
  const contended = new Counter({
    name: 'bzzz_claims_contended_total',
    help: 'Task claims refused because another grant was live',
    registers,
  });
  return { held: heldGauge, renewals, lost, contended };
}

export function effectSeries(registers: Registry[]) {
  const sandboxExec = new Histogram({
    name: 'bzzz_sandbox_exec_seconds',
    help: 'Duration of commands run in sandboxes, by backend',
    labelNames: ['backend'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  for (const backend of SANDBOX_BACKENDS) sandboxExec.zero({ backend });
  const fencedRejected = new Counter({
    name: 'bzzz_fenced_effects_rejected_total',
    help: 'Forge effects refused because their fencing token was stale, by effect',
    labelNames: ['effect'],
    registers,
  });
  for (const effect of FENCED_EFFECTS) fencedRejected.inc({ effect }, 0);
  return { sandboxExec, fencedRejected };
}
