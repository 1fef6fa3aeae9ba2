/**
 * One process of the local-forge race test: waits for `go` on stdin, then adds tasks, opens
 * the pull request of a shared task and adds a shared repository, all at once with its peers;
 * prints what it got as one JSON line.
 */
import { createInterface } from 'node:readline';
import { LocalForge, RepoExistsError } from '../../src/adapters/forge/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

const [dir = '', sharedKey = '', countArg = '5'] = process.argv.slice(2);
const forge = new LocalForge({ dir }, { logger: silentLogger(), clock: systemClock });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() === 'go') break;
}
lines.close();

const results = await Promise.all([
  Promise.all(
    Array.from({ length: Number(countArg) }, (_, i) =>
      forge.addTask({ repo: 'race/fresh', title: `task ${process.pid}-${i}` }),
    ),
  ),
  forge.openPullRequest({
    key: sharedKey,
    branch: 'bzzz/task-1',
    title: 'shared',
    body: 'b',
    token: 1,
    holder: 'agent-1',
    fence: async () => undefined,
  }),
  forge.addRepo('race/added').then(
    () => 'added',
    (error: unknown) => (error instanceof RepoExistsError ? 'exists' : `error: ${String(error)}`),
  ),
]);
const [keys, pr, added] = results;
process.stdout.write(
  `${JSON.stringify({ keys, pr: { number: pr.pr.number, created: pr.created }, added })}\n`,
);
