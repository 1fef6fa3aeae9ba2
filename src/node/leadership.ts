/**
 * Who leads the cluster, as this node knows it: a small store the elector feeds through its
 * `onLeaderChange` callback, read by the poller (it polls only on the leader), `bzzz status`
 * and `/api/v1/leader`. Without NATS a node is a cluster of one and leads itself.
 */
import type { LeaderInfo } from '../actors/election.js';

export class Leadership {
  #leader: LeaderInfo | null = null;

  /** `alone`: no election runs (no NATS), so this node always leads. */
  constructor(
    readonly nodeId: string,
    private readonly alone: boolean,
  ) {}

  /** Called by the elector whenever the leader it knows changes. */
  changed(leader: LeaderInfo | null): void {
    this.#leader = leader;
  }

  /** The leader this node knows, or null (no election, or none known). */
  leader(): LeaderInfo | null {
    return this.#leader;
  }

  isLeader(): boolean {
    return this.alone || this.#leader?.node === this.nodeId;
  }
}
