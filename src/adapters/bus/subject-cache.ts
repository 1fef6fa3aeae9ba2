/**
 * Channels and subjects of one bus, both ways, remembered: the mapping is pure, and encoding
 * an actor path (or parsing one back) is not free, while a node publishes to and hears from a
 * small set of channels over and over. Each cache holds {@link CACHE_SIZE} entries and starts
 * over when full.
 */
import { channelOfSubject, subjectOf } from './channels.js';
import type { Channel } from './types.js';

/** Subjects and channels remembered per bus; a full cache starts over. */
const CACHE_SIZE = 1024;

/** Segments never hold a NUL (a control character), so joining on it tells paths apart. */
const SEPARATOR = '\u0000';

export class SubjectCache {
  readonly #cluster: string;
  /** Channel key → subject, for channels already mapped once (publishing). */
  readonly #subjects = new Map<string, string>();
  /** Channel object → subject: a sender that reuses its channel objects skips building a key. */
  readonly #subjectsByChannel = new WeakMap<Channel, string>();
  /** Subject → channel, for subjects already mapped once (receiving). */
  readonly #channels = new Map<string, Channel>();

  constructor(cluster: string) {
    this.#cluster = cluster;
  }

  /** `subjectOf`, remembered. */
  subjectOf(channel: Channel): string {
    const known = this.#subjectsByChannel.get(channel);
    if (known !== undefined) return known;
    const subject = this.#subjectOfKey(channel);
    // A channel object mutated after use would map wrongly: only frozen ones are remembered.
    if (
      Object.isFrozen(channel) &&
      (channel.kind !== 'actor' ||
        (Object.isFrozen(channel.address) && Object.isFrozen(channel.address.path)))
    )
      this.#subjectsByChannel.set(channel, subject);
    return subject;
  }

  #subjectOfKey(channel: Channel): string {
    let key: string;
    switch (channel.kind) {
      case 'coordination':
      case 'hmmm':
        key = channel.kind;
        break;
      case 'task':
        key = `task${SEPARATOR}${channel.task}`;
        break;
      case 'actor':
        // A path with a NUL is invalid; it skips the cache so `subjectOf` says so.
        if (channel.address.path.some((segment) => segment.includes(SEPARATOR)))
          return subjectOf(this.#cluster, channel);
        key = `actor${SEPARATOR}${channel.address.node}${SEPARATOR}${channel.address.path.join(SEPARATOR)}`;
        break;
    }
    let subject = this.#subjects.get(key);
    if (subject === undefined) {
      subject = subjectOf(this.#cluster, channel);
      if (this.#subjects.size >= CACHE_SIZE) this.#subjects.clear();
      this.#subjects.set(key, subject);
    }
    return subject;
  }

  /** `channelOfSubject`, remembered for subjects that are channels (frozen: handlers share them). */
  channelOf(subject: string): Channel | undefined {
    const cached = this.#channels.get(subject);
    if (cached !== undefined) return cached;
    const channel = channelOfSubject(this.#cluster, subject);
    if (channel === undefined) return undefined;
    if (channel.kind === 'actor') {
      Object.freeze(channel.address.path);
      Object.freeze(channel.address);
    }
    Object.freeze(channel);
    if (this.#channels.size >= CACHE_SIZE) this.#channels.clear();
    this.#channels.set(subject, channel);
    return channel;
  }
}
