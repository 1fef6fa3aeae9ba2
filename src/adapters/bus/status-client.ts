/**
 * The client side of the micro service, for `bzzz status`: one request on
 * `bzzz.<cluster>.status`, every node's answer gathered until the answers stop coming (or the
 * time is up). Answers come back as parsed JSON, unchecked: the caller validates them. The
 * connection is made for this one request and never retries (a command should fail fast).
 */
import { connect } from '@nats-io/transport-node';
import {
  NatsConnectError,
  natsConnectionOptions,
  serviceSubject,
  type NatsAuthInit,
  type SERVICE_ENDPOINTS,
} from '../nats/index.js';

export interface ServiceRequestInit extends NatsAuthInit {
  cluster: string;
  endpoint: (typeof SERVICE_ENDPOINTS)[number];
  /** Longest wait for answers (default 2 s). */
  timeoutMs?: number;
  /** After the first answer, stop once no other came for this long (default 300 ms). */
  stallMs?: number;
}

/** Asks every node's micro service; resolves with their answers (an empty list: none answered). */
export async function requestFromEveryNode(init: ServiceRequestInit): Promise<unknown[]> {
  const options = await natsConnectionOptions(init);
  let nc;
  try {
    nc = await connect({ ...options, maxReconnectAttempts: 0, reconnect: false, noEcho: false });
  } catch (error) {
    throw new NatsConnectError(init.servers, { cause: error });
  }
  const answers: unknown[] = [];
  try {
    const replies = await nc.requestMany(serviceSubject(init.cluster, init.endpoint), '', {
      strategy: 'stall',
      maxWait: init.timeoutMs ?? 2000,
      stall: init.stallMs ?? 300,
    });
    for await (const msg of replies) {
      try {
        answers.push(msg.json());
      } catch {
        // a node that answers garbage is left out
      }
    }
  } catch {
    // no responders, or a timeout: whatever answered so far is the answer
  } finally {
    await nc.close().catch(() => undefined);
  }
  return answers;
}
