/**
 * How `bzzz resolve` reads semantic names without a running node: the name table a node keeps
 * in its data dir (`<data_dir>/names/names.db`: its own records and every valid one it
 * received), looked up as the node would, every record checked again. A data dir without one
 * (no task ever ended there) has no names.
 */
import { access } from 'node:fs/promises';
import {
  nameTablePath,
  SqliteNameTable,
  TaskNameLookup,
  type TaskNameIndex,
} from '../adapters/names/index.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/log.js';

/** A name index opened from a data dir, closed by the caller. */
export interface OfflineNameIndex {
  index: TaskNameIndex;
  close(): Promise<void>;
}

/** Opens the name index of `dataDir`; undefined when the data dir holds none. */
export type OpenOfflineIndex = (dataDir: string) => Promise<OfflineNameIndex | undefined>;

/** The name table of a data dir as an index (undefined: the data dir has no table). */
export const openOfflineIndex: OpenOfflineIndex = async (dataDir) => {
  const path = nameTablePath(dataDir);
  try {
    await access(path);
  } catch {
    return undefined;
  }
  const table = new SqliteNameTable({ path });
  await table.start();
  const index = new TaskNameLookup(
    {},
    { table, networks: () => [], clock: systemClock, logger: silentLogger() },
  );
  return { index, close: () => table.stop() };
};
