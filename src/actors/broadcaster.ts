/**
 * The broadcaster: this node's voice on the coordination channel. It announces what the node
 * can do (`capability_broadcast`) at start, whenever that changes, and when membership hears of
 * a new node (so a latecomer learns about nodes already there); and how busy it is
 * (`availability_broadcast`) every beat interval, 1 s by default, which is the heartbeat peers
 * watch. On a graceful stop it says `draining` once more. What it announces comes from
 * callbacks the node provides; a callback that throws or returns invalid data skips that beat
 * (logged once per minute), it never ends the actor.
 */
import { fromCallback, type AnyEventObject } from 'xstate';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import { RateLimitedLog } from '../lib/log.js';
import {
  availabilityBroadcastSchema,
  capabilityBroadcastSchema,
  type AvailabilityBroadcast,
  type CapabilityBroadcast,
} from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import { ANNOUNCE } from './peer.js';
import type { ActorSystem } from './system.js';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from './xstate-child.js';

export interface BroadcasterOptions {
  /** Beat interval (default 1000 ms). */
  intervalMs?: number;
  /** This node's capabilities, read at every beat (a change is announced at once). */
  capabilities(): CapabilityBroadcast;
  /** This node's load, read at every beat. */
  availability(): AvailabilityBroadcast;
}

/** The broadcaster actor, id `broadcaster`. */
export function broadcasterSpec(options: BroadcasterOptions, id = 'broadcaster'): ChildSpec {
  const intervalMs = options.intervalMs ?? 1000;
  return xstateChild(id, {
    shutdown: 1000,
    accept: (message) => (message.type === ANNOUNCE ? { type: ANNOUNCE } : undefined),
    logic: (ctx) =>
      fromCallback<AnyEventObject>(({ receive }) => {
        const beat = new Beat(
          ctx.system,
          ctx.clock,
          options,
          new RateLimitedLog(ctx.logger, ctx.clock, 60_000),
        );
        beat.capabilities(true);
        beat.availability();
        let timer = ctx.clock.setTimeout(function tick() {
          beat.capabilities(beat.takeAnnounce());
          beat.availability();
          timer = ctx.clock.setTimeout(tick, intervalMs);
        }, intervalMs);
        receive((event) => {
          if (event.type === ANNOUNCE) beat.announceSoon(intervalMs);
        });
        return () => {
          ctx.clock.clearTimeout(timer);
          beat.availability('draining');
        };
      }),
  });
}

class Beat {
  #lastCapabilities = '';
  #announcedAt = Number.NEGATIVE_INFINITY;
  #announcePending = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly clock: Clock,
    private readonly options: BroadcasterOptions,
    private readonly log: RateLimitedLog,
  ) {}

  /** Announces capabilities when asked to (`force`) or when they changed. */
  capabilities(force: boolean): void {
    const data = this.#read('capabilities', () =>
      capabilityBroadcastSchema.parse(this.options.capabilities()),
    );
    if (data === undefined) return;
    const text = JSON.stringify(data);
    if (!force && text === this.#lastCapabilities) return;
    this.#lastCapabilities = text;
    this.#announcedAt = this.clock.now();
    this.system.publish(TOPICS.coordination, { type: 'capability_broadcast', data });
  }

  /**
   * Announces capabilities again, at most once per interval (many peers may appear at once):
   * at once, or at the next beat when the last announcement is more recent than that.
   */
  announceSoon(intervalMs: number): void {
    if (this.clock.now() - this.#announcedAt < intervalMs) this.#announcePending = true;
    else this.capabilities(true);
  }

  /** True once after {@link announceSoon} deferred an announcement to the next beat. */
  takeAnnounce(): boolean {
    const pending = this.#announcePending;
    this.#announcePending = false;
    return pending;
  }

  availability(status?: AvailabilityBroadcast['status']): void {
    const data = this.#read('availability', () => {
      const current = this.options.availability();
      return availabilityBroadcastSchema.parse(status === undefined ? current : { ...current, status });
    });
    if (data !== undefined)
      this.system.publish(TOPICS.coordination, { type: 'availability_broadcast', data });
  }

  #read<T>(what: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      this.log.warn(`broadcast:${what}`, { err: describeError(error) }, `cannot read this node's ${what}`);
      return undefined;
    }
  }
}
