/**
 * Topics of the local mailbox (`ActorSystem.publish`/`subscribe`). Each maps onto one channel
 * of every bus: a NATS subject and a gossipsub topic of SPEC §7 (see `subjects.ts`).
 */

/** Local topic names: coordination broadcasts, the HMMM channel, and one task's discussion. */
export const TOPICS = {
  coordination: 'coordination',
  hmmm: 'hmmm',
  task: (key: string) => `hmmm.task.${key}`,
} as const;
