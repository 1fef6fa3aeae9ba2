/**
 * One appender per data dir: `<data_dir>/audit/owner` holds the pid of the process that
 * appends. Two processes appending to one journal would interleave two chains; the second is
 * refused instead. A file whose process is gone (a kill -9) is taken over at once, so a
 * restart is never held up.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { AuditUnavailableError } from './errors.js';

/** Takes `path` for this process; throws {@link AuditUnavailableError} when a live process holds it. */
export async function takeOwnership(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid))
      throw new AuditUnavailableError(`process ${pid} appends to this audit log already`);
    await rm(path, { force: true });
  }
  throw new AuditUnavailableError(`cannot take ${path}: another process keeps taking it`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
