/**
 * The audit gossip of a node on a medium (NATS or libp2p), a child of `storage` after the CAS
 * replicator (cas-parts.ts wires its announcer the same way): `audit_head` on the cluster's
 * coordination channel, both ways. A node without a medium keeps its log and witnesses none.
 */
import { AuditGossip } from '../actors/audit/gossip.js';
import { serviceSpec } from '../actors/service.js';
import type { AuditLog, WitnessBook } from '../adapters/audit/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { NodeContext } from './types.js';

/** What the gossip needs of the pipeline's audit service. */
export interface AuditPartsInit {
  log: AuditLog;
  witnesses: WitnessBook;
}

export function auditGossipSpec(init: AuditPartsInit, bus: Bus, node: NodeContext): ChildSpec {
  const gossip = new AuditGossip(
    { nodeId: node.nodeId },
    {
      log: init.log,
      witnesses: init.witnesses,
      announcer: {
        publish: (message) => {
          bus.publish({ kind: 'coordination' }, { type: 'audit_head', data: message });
        },
        subscribe: (handler) => {
          const subscription = bus.subscribe({ kind: 'coordination' }, ({ envelope }) => {
            if (envelope.type === 'audit_head') handler(envelope.from, envelope.data);
          });
          return () => subscription.unsubscribe();
        },
      },
      clock: node.clock,
      logger: node.logger.child({ component: 'audit' }),
    },
  );
  return serviceSpec('audit-gossip', async () => {
    await gossip.start();
    return { stop: () => gossip.stop() };
  });
}
