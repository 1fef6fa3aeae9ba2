/**
 * The node's audit log (issue 16) as a child of the `storage` subtree, after the content store
 * its entries go into: the log under `<data_dir>/audit/` signed with the node's key, and the
 * book of heads witnessed from other nodes (the gossip actor, audit-parts.ts, feeds it on a
 * medium). Its figures go to /metrics (`bzzz_audit_entries_total{kind}`,
 * `bzzz_audit_append_errors_total`, `bzzz_audit_forks_total`, `bzzz_audit_publish_errors_total`,
 * `bzzz_audit_head_seq`) and a non-critical health check says when the log cannot continue its
 * chain. The hooks that record entries (claims, forge, tasks) get {@link AuditService.record}:
 * it never throws and never makes a task wait.
 */
import type { KeyObject } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { serviceSpec } from '../actors/service.js';
import {
  auditPaths,
  createAuditLog,
  WitnessBook,
  type AuditInput,
  type AuditLog,
  type AuditMetrics,
  type AuditRecorder,
} from '../adapters/audit/index.js';
import type { ContentStore } from '../adapters/cas/index.js';
import type { ClaimStore } from '../adapters/claims/index.js';
import type { Forge } from '../adapters/forge/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { AUDIT_KINDS } from '../protocol/audit.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { HealthCheck } from './health.js';
import { auditedClaims } from './audited-claims.js';
import { auditedForge } from './audited-forge.js';
import type { NodeMetrics } from './metrics.js';

export interface AuditService {
  readonly log: AuditLog;
  readonly witnesses: WitnessBook;
  /** `audit`: opens the book and recovers the chain; stopping commits what is queued. */
  readonly children: ChildSpec[];
  readonly checks: HealthCheck[];
  /** Appends without waiting; a failure is logged and counted. */
  readonly record: AuditRecorder;
  /** Appends and waits until the entry is durable; a failure is logged and counted, never thrown. */
  readonly recordDurably: (input: AuditInput) => Promise<void>;
  /** The tasks' forge, each fenced effect recorded (audited-forge.ts). */
  wrapForge(forge: Forge): Forge;
  /** The tasks' claim store, each lease event recorded (audited-claims.ts). */
  wrapClaims(claims: ClaimStore): ClaimStore;
}

export interface AuditServiceComponents {
  store: ContentStore;
  nodeId: string;
  privateKey: KeyObject;
  clock: Clock;
  logger: Logger;
  metrics?: NodeMetrics | undefined;
}

export function auditService(config: Config, components: AuditServiceComponents): AuditService {
  const logger = components.logger.child({ component: 'audit' });
  const { clock, nodeId } = components;
  const metrics = components.metrics === undefined ? undefined : auditSeries(components.metrics, () => log);
  const log: AuditLog = createAuditLog(
    { dataDir: config.data_dir, nodeId },
    {
      store: components.store,
      privateKey: components.privateKey,
      clock,
      logger,
      ...(metrics ? { metrics } : {}),
    },
  );
  const witnesses = new WitnessBook(auditPaths(config.data_dir).witnesses, nodeId, {
    clock,
    logger,
    ...(metrics ? { metrics } : {}),
  });
  let warnedAt = Number.NEGATIVE_INFINITY;
  const recordDurably = async (input: AuditInput): Promise<void> => {
    try {
      await log.append(input);
    } catch (error) {
      // counted by the log; logged at most once a minute
      if (clock.now() - warnedAt < 60_000) return;
      warnedAt = clock.now();
      logger.warn(
        { err: describeError(error), kind: input.kind, task: input.task },
        'audit entry not recorded',
      );
    }
  };
  return {
    log,
    witnesses,
    record: (input) => void recordDurably(input),
    recordDurably,
    wrapForge: (forge) => auditedForge(forge, recordDurably),
    wrapClaims: (claims) => auditedClaims(claims, (input) => void recordDurably(input)),
    children: [
      serviceSpec('audit', async () => {
        await witnesses.load();
        await log.start();
        return {
          stop: async () => {
            await log.stop();
            await witnesses.stop();
          },
        };
      }),
    ],
    checks: [
      {
        name: 'audit_log',
        run: () => {
          const health = log.health();
          if (health.status !== 'ok') throw new Error(health.detail ?? 'failed');
          return `head at seq ${log.head()?.seq ?? 0}`;
        },
      },
    ],
  };
}

function auditSeries(metrics: NodeMetrics, log: () => AuditLog): AuditMetrics {
  const registers = [metrics.registry];
  const entries = new Counter({
    name: 'bzzz_audit_entries_total',
    help: 'Entries appended to this node’s audit log, by kind',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of AUDIT_KINDS) entries.inc({ kind }, 0);
  const errors = new Counter({
    name: 'bzzz_audit_append_errors_total',
    help: 'Audit entries that could not be appended',
    registers,
  });
  const forks = new Counter({
    name: 'bzzz_audit_forks_total',
    help: 'Audit chain heads that conflict with a witnessed one (a node rewrote its history)',
    registers,
  });
  const publishErrors = new Counter({
    name: 'bzzz_audit_publish_errors_total',
    help: 'Failed copies of audit entries into the content store (retried)',
    registers,
  });
  new Gauge({
    name: 'bzzz_audit_head_seq',
    help: 'Sequence number of this node’s audit chain head',
    registers,
    collect() {
      this.set(log().head()?.seq ?? 0);
    },
  });
  return {
    appended: (kind) => entries.inc({ kind }),
    appendFailed: () => errors.inc(),
    forked: () => forks.inc(),
    published: (outcome) => {
      if (outcome === 'failed') publishErrors.inc();
    },
  };
}
