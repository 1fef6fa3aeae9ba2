/**
 * `bzzz audit show --task KEY`: the entries of one task in this data dir's chain, read from
 * the journal (the chain's own index) up to the signed head, each with its blob hash.
 * Checking them is `verify`'s job; a record that is no entry is skipped and counted.
 */
import { decodeAuditEntry, type AuditEntry } from '../../protocol/audit.js';
import { auditPaths } from './files.js';
import { blake3 } from './hasher.js';
import { readHeadFile } from './head-file.js';
import { JournalReader } from './journal.js';

/** An entry with its blob's hash. */
export type ShownEntry = AuditEntry & { hash: string };

export async function taskEntries(
  dataDir: string,
  task: string,
): Promise<{ entries: ShownEntry[]; unreadable: number }> {
  const paths = auditPaths(dataDir);
  const file = await readHeadFile(paths.head);
  if (file === undefined) return { entries: [], unreadable: 0 };
  const hash = await blake3();
  const entries: ShownEntry[] = [];
  let unreadable = 0;
  // cheap filter before parsing: the task key appears in the blob as a JSON string
  const needle = Buffer.from(JSON.stringify(task));
  for await (const { bytes } of new JournalReader(paths.journal, file.journal).records()) {
    if (!bytes.includes(needle)) continue;
    try {
      const entry = decodeAuditEntry(bytes);
      if (entry.task === task) entries.push({ ...entry, hash: hash(bytes) });
    } catch {
      unreadable++;
    }
  }
  return { entries, unreadable };
}
