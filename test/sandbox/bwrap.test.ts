/** The sandbox compliance and hostile suites against the bwrap backend. */
import { readdir, readFile } from 'node:fs/promises';
import { sandboxComplianceSuite } from '../compliance/sandbox.js';
import { hostileSuite } from './hostile.js';
import { backendFor, newDataDir } from './support.js';

/** Processes whose command line names the work dir: the bwrap of a sandbox and nothing else. */
async function processesUsing(workDir: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(workDir)) n++;
  }
  return n;
}

sandboxComplianceSuite('bwrap', async () =>
  backendFor('bwrap', `compliance-bwrap-${process.pid}`, await newDataDir()),
);

hostileSuite('bwrap', async (_nodeId, workDir) => processesUsing(workDir), 0);
