/** Live progress on a terminal: one line per task state change, from the read model. */
import type { Writable } from 'node:stream';
import type { ClusterView } from '../node/view.js';

export function watchProgress(view: ClusterView, out: Writable): () => void {
  const seen = new Map<string, string>();
  const subscription = view.subscribe((snapshot) => {
    for (const task of Object.values(snapshot.context.tasks)) {
      const line = `${task.state}${task.holder ? ` (${task.holder})` : ''}${task.pr ? ` ${task.pr.url}` : ''}`;
      if (seen.get(task.key) === line) continue;
      seen.set(task.key, line);
      const time = new Date(task.updatedAt).toISOString().slice(11, 19);
      out.write(`${time}  ${task.key.padEnd(28)} ${line}\n`);
    }
  });
  return () => subscription.unsubscribe();
}
