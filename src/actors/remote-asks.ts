/**
 * Asks of this node to actors on other nodes, from the request leaving to its answer arriving.
 *
 * Every remote ask of a node names the same `replyTo`, `bzzz://<node>/$ask`, and the envelope's
 * `corr` tells the asks apart, so a request and its reply carry addresses (and subjects) the
 * node has seen before. An answer (`actor_reply`, or a `dead_letter` naming the ask) settles
 * the ask only when it goes to that address (or, as older nodes answer, to the per-ask
 * `…/$ask/<corr>`) and comes from the node that was asked; the system then resolves or rejects
 * the asker's promise.
 */
import type { Envelope, RejectReason } from '../protocol/index.js';
import { formatAddress, parseAddress } from '../protocol/index.js';
import { ASK, SCHEME } from './remote-addresses.js';
import type { ReplyMessage } from './message.js';
import type { ActorSystem } from './system.js';

/** Outstanding remote asks remembered, to check who answers them. */
const MAX_PENDING_ASKS = 10_000;

/** Called for an answer that settles nothing, with why. */
export type RejectAnswer = (reason: RejectReason, detail: string, from: string) => void;

/** The outstanding remote asks of one binding. */
export class RemoteAsks {
  /** This node's ask replies come to one address; the envelope's `corr` says which ask. */
  readonly address: string;
  /** The system address prefix of this node's pending asks (`ActorSystem.ask` makes them). */
  readonly #ownPrefix: string;
  readonly #system: ActorSystem;
  readonly #reject: RejectAnswer;
  /** corr of an outstanding remote ask → the node it went to. */
  readonly #asks = new Map<string, string>();

  constructor(system: ActorSystem, nodeId: string, reject: RejectAnswer) {
    this.#system = system;
    this.#reject = reject;
    this.address = formatAddress({ node: nodeId, path: [ASK] });
    this.#ownPrefix = `${SCHEME}${nodeId}/${ASK}/`;
  }

  /** True when `replyTo` is the address `ActorSystem.ask` made for this node's ask `corr`. */
  isOwn(replyTo: string | undefined, corr: string | undefined): corr is string {
    return replyTo !== undefined && corr !== undefined && replyTo === `${this.#ownPrefix}${corr}`;
  }

  /** Remembers an ask that left for `node`. */
  sent(corr: string, node: string): void {
    if (this.#asks.size >= MAX_PENDING_ASKS) this.#asks.delete(this.#asks.keys().next().value!);
    this.#asks.set(corr, node);
  }

  /** Settles the ask `corr` with `reply`, if `envelope` may answer it. */
  settle(envelope: Envelope, corr: string, reply: ReplyMessage): void {
    const to =
      envelope.to === undefined || envelope.to === this.address ? undefined : parseAddress(envelope.to);
    const toAsk =
      envelope.to === this.address || (to?.path.length === 2 && to.path[0] === ASK && to.path[1] === corr);
    if (!toAsk) {
      this.#reject('bad_data', 'a reply must go to the ask it answers', envelope.from);
      return;
    }
    if (this.#asks.get(corr) !== envelope.from) {
      this.#reject('bad_sender', 'a reply from a node that was not asked', envelope.from);
      return;
    }
    this.#asks.delete(corr);
    this.#system.send(`${ASK}/${corr}`, reply);
  }

  /** Forgets every outstanding ask (the binding closes; the system times them out). */
  clear(): void {
    this.#asks.clear();
  }
}
