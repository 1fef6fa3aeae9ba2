/**
 * The hook through which `bzzz resolve` reads semantic names without a running node: the
 * names layer (task artifacts, issue 16) sets {@link openOfflineIndex} to open the name index
 * it keeps in a data dir. Until then, names need a running node's resolver.
 */
import type { TaskNameIndex } from '../adapters/names/index.js';

/** A name index opened from a data dir, closed by the caller. */
export interface OfflineNameIndex {
  index: TaskNameIndex;
  close(): Promise<void>;
}

/** Opens the name index of `dataDir`; undefined when the data dir holds none. */
export type OpenOfflineIndex = (dataDir: string) => Promise<OfflineNameIndex | undefined>;

/** The offline name index (undefined: not provided yet). */
export const openOfflineIndex: OpenOfflineIndex | undefined = undefined;
